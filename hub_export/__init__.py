"""Publishing trained generators: TF-Hub-style SavedModels, TFLite, TF.js, web demo.

Depends only on tfbiggan's public API; tfbiggan never imports hub_export.
"""
