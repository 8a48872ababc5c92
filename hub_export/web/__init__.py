"""Static BigGAN demo page for a TF.js graph model, and the tools around it.

The page (``index.html``, ``app.js``, ``sampling.js``, ``style.css`` in this
folder) loads ``model/model.json`` with ``tf.loadGraphModel`` and a local copy
of ``tf.min.js``. ``site.build_site`` assembles page + tf.min.js + model into
one folder, ``site.serve`` serves it on 127.0.0.1 and ``browser.render`` opens
it in headless Chromium for a screenshot. Command line:
``python -m hub_export.web --model=TFJS_DIR --output=SITE_DIR [--serve]``.
"""
