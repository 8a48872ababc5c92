"""Publishing generators: TF-Hub-style SavedModels, TFLite, TF.js, web demo.

The export stages, one module each: ``source`` (a training run, a preset, or
official weights) -> ``freeze`` (variable-free graphs) -> ``checks`` (graph,
signatures, parity) -> ``publish`` (atomic); ``contract`` holds the signature
names every stage uses, ``export`` runs them (``python -m hub_export.export``).
Converters: ``tflite``, ``tfjs``; the browser demo: ``web``. DeepMind's
published BigGAN-deep weights (tfhub.dev modules, hf's PyTorch port) come in
through ``official`` (``python -m hub_export.import_weights``); ``class_names``
holds the ImageNet class list their model card carries.

Depends only on tfbiggan's public API; tfbiggan never imports hub_export.
"""
