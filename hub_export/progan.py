"""Export of a Progressive GAN generator in the interface of tfhub.dev's
``google/progan-128/1``, through the same stages as BigGAN's (freeze, graph
check, self-check, publish) and converting with ``hub_export.tflite`` and
``hub_export.tfjs``.

The tfhub.dev module is a TF1 Hub module whose ``default`` signature takes
one input, also named ``default``: latent vectors float32 [batch, 512] drawn
from N(0, 1), and returns ``{'default': images}`` float32 [batch, 128, 128, 3]
with pixels in [0, 1] (its documented use is
``hub.load(...).signatures['default'](z)['default']``, and its examples turn
images into uint8 by ``* 255``). The export matches that:

* ``default``: ``default`` float32 [batch, z_dim] ~ N(0, 1) (and, for a
  conditional model only, ``y`` float32 [batch, num_classes], one-hot or a
  soft mix) -> ``{'default': images}`` float32 [batch, R, R, 3] in [0, 1]:
  G's [-1, 1] output mapped by (x + 1) / 2 and clipped.
* ``discriminator``: ``images`` float32 [batch, R, R, 3] in [0, 1] (what
  ``default`` returns) -> ``{'logits': logits}`` float32 [batch, 1 +
  label_size]: column 0 the critic score, then the class logits.

A TF2 SavedModel's signatures take keyword arguments, so the call is
``m.signatures['default'](default=z)['default']``; the TF1 module also took
the latent positionally. ProGAN has no truncation trick and no batch norm.
"""
import datetime

import numpy as np

import tfbiggan
from hub_export.contract import (DISCRIMINATOR_SIGNATURE, LOGITS_KEY, OUTPUT_KEY,
                                 SIGNATURE)
from hub_export.freeze import checked_inputs, freeze, import_frozen, nan_where_non_finite
from tfbiggan.models import count_parameters

LATENT_INPUT = "default"  # the tfhub.dev module's input name
NON_FINITE_HINT = "sample the latent from N(0, 1)."
SELF_CHECK_TOLERANCE = 1e-5


def generator_specs(config):
    """Inputs of ``default``: the latent [batch, z_dim] (+ y when conditional)."""
    import tensorflow as tf
    specs = [tf.TensorSpec([None, config.z_dim], tf.float32, name=LATENT_INPUT)]
    if config.label_size:
        specs.append(tf.TensorSpec([None, config.num_classes], tf.float32, name="y"))
    return specs


def discriminator_specs(config):
    """Inputs of ``discriminator``: images [batch, R, R, 3] in [0, 1]."""
    import tensorflow as tf
    r = config.resolution
    return [tf.TensorSpec([None, r, r, 3], tf.float32, name="images")]


def to_unit_range(images):
    """G's [-1, 1] images -> [0, 1], clipped (the module's range)."""
    import tensorflow as tf
    return tf.clip_by_value((images + 1.0) / 2.0, 0.0, 1.0)


def _generate(generator, latent, y=None):
    return to_unit_range(generator(latent, y, training=False))


def _discriminate(discriminator, images):
    return discriminator(images * 2.0 - 1.0, training=False)


def hub_module(config, g_frozen, d_frozen):
    """``(module, signatures)`` for ``tf.saved_model.save``; no
    ``discriminator`` signature when ``d_frozen`` is None."""
    import tensorflow as tf
    g_specs, d_specs = generator_specs(config), discriminator_specs(config)

    def generate(*inputs):
        args = checked_inputs(list(inputs), g_specs, NON_FINITE_HINT)
        images = nan_where_non_finite(import_frozen(g_frozen, args, "generator"), args)
        return {OUTPUT_KEY: tf.identity(images, name="images")}

    # Signature inputs are named after the Python parameters.
    if config.label_size:
        def default(default, y):
            return generate(default, y)
    else:
        def default(default):
            return generate(default)

    def discriminator(images):
        args = checked_inputs([images], d_specs, "pass images in [0, 1].")
        logits = nan_where_non_finite(import_frozen(d_frozen, args, "discriminator"), args)
        return {LOGITS_KEY: tf.identity(logits, name="logits")}

    module = tf.Module()
    module.default = tf.function(default, input_signature=g_specs, autograph=False)
    signatures = {SIGNATURE: module.default}
    if d_frozen is not None:
        module.discriminator = tf.function(discriminator, input_signature=d_specs,
                                           autograph=False)
        signatures[DISCRIMINATOR_SIGNATURE] = module.discriminator
    return module, signatures


def write_saved_model(source, folder, report, log):
    """Freezes G (and D) and saves the module into ``folder``."""
    import gc
    import time

    import tensorflow as tf
    start = time.perf_counter()
    g_frozen = freeze(lambda *args: _generate(source.generator, *args),
                      generator_specs(source.config))
    d_frozen = (None if source.discriminator is None else
                freeze(lambda images: _discriminate(source.discriminator, images),
                       discriminator_specs(source.config)))
    report["freeze_seconds"] = round(time.perf_counter() - start, 2)
    log(f"froze the ProGAN generator{'' if d_frozen is None else ' and discriminator'} "
        f"in {report['freeze_seconds']} s")
    module, signatures = hub_module(source.config, g_frozen, d_frozen)
    tf.saved_model.save(module, folder, signatures=signatures)
    del module, signatures, g_frozen, d_frozen
    gc.collect()


def self_check(saved_model_dir, source, seed=0):
    """The written signatures against the live models on N(0, 1) latents;
    ``{"generator": max|diff|, "discriminator": max relative |diff|}``,
    RuntimeError beyond ``SELF_CHECK_TOLERANCE``."""
    import tensorflow as tf
    cfg = source.config
    loaded = tf.saved_model.load(saved_model_dir)
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((3, cfg.z_dim)).astype(np.float32)
    feed = {LATENT_INPUT: tf.constant(latent)}
    y = None
    if cfg.label_size:
        y = np.eye(cfg.num_classes, dtype=np.float32)[rng.integers(0, cfg.num_classes, 3)]
        feed["y"] = tf.constant(y)
    got = loaded.signatures[SIGNATURE](**feed)[OUTPUT_KEY].numpy()
    want = _generate(source.generator, latent, y).numpy()
    diffs = {"generator": float(np.max(np.abs(got - want)))}
    if source.discriminator is not None:
        logits = loaded.signatures[DISCRIMINATOR_SIGNATURE](
            images=tf.constant(got))[LOGITS_KEY].numpy()
        reference = _discriminate(source.discriminator, got).numpy()
        diffs["discriminator"] = float(np.max(np.abs(logits - reference))
                                       / max(1.0, np.abs(reference).max()))
    for key, value in diffs.items():
        if not value <= SELF_CHECK_TOLERANCE:
            raise RuntimeError(f"exported ProGAN {key} differs from the live model by "
                               f"{value:.3g} (> {SELF_CHECK_TOLERANCE}).")
    return diffs


def _tensor(name, shape, description):
    return {"name": name, "dtype": "float32", "shape": shape, "description": description}


def build_card(source, labels=None):
    """The model card of a ProGAN export (JSON-serialisable)."""
    cfg = source.config
    r = cfg.resolution
    inputs = [_tensor(LATENT_INPUT, [None, cfg.z_dim], "latent, sampled from N(0, 1)")]
    if cfg.label_size:
        inputs.append(_tensor("y", [None, cfg.num_classes], "one-hot class, or a soft mix"))
    signatures = {SIGNATURE: {"inputs": inputs, "outputs": {OUTPUT_KEY: _tensor(
        "default", [None, r, r, 3], "images in [0, 1], NHWC")}}}
    if source.discriminator is not None:
        signatures[DISCRIMINATOR_SIGNATURE] = {
            "inputs": [_tensor("images", [None, r, r, 3], "images in [0, 1], NHWC")],
            "outputs": {LOGITS_KEY: _tensor("logits", [None, 1 + cfg.label_size],
                                            "critic score, then class logits")}}
    card = {
        "name": f"tfbiggan {source.preset or 'progan-' + str(r)}",
        "preset": source.preset, "architecture": cfg.architecture, "resolution": r,
        "z_dim": cfg.z_dim, "num_classes": cfg.num_classes, "config": cfg.to_dict(),
        "interface": "tfhub.dev google/progan-128/1: default(default=latent) -> "
                     "{'default': images in [0, 1]}" + (
                         "; conditional models add y" if cfg.label_size else ""),
        "generator_parameters": count_parameters(source.generator),
        "discriminator_parameters": (None if source.discriminator is None
                                     else count_parameters(source.discriminator)),
        "init": source.init, "training_step": int(source.step),
        "model_dir": source.model_dir, "checkpoint": source.checkpoint,
        "metrics": source.metrics, "z_sampling": "N(0, 1)",
        "image_to_uint8": "clip(images * 256, 0, 255)",
        "signatures": signatures,
        "graph": "frozen: no variables, no control flow",
        "tfbiggan_version": tfbiggan.__version__,
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
    }
    if labels is not None:
        card["labels"] = list(labels["names"])
        card["labels_source"] = labels["source"]
    return card


def card_markdown(card):
    """The card as a markdown page."""
    call = "default=z" + (", y=y" if card["config"]["num_classes"] > 1 else "")
    lines = [f"# {card['name']}", "",
             f"Progressive GAN generator exported by tfbiggan {card['tfbiggan_version']} "
             f"on {card['exported_at']}, in the interface of {card['interface']}.", "",
             f"- Resolution: {card['resolution']} x {card['resolution']}; z_dim "
             f"{card['z_dim']}; classes {card['num_classes']}",
             f"- Generator parameters: {card['generator_parameters']:,}",
             f"- Training step: {card['training_step']}; checkpoint "
             f"{card['checkpoint'] or '-'}", "", "```python",
             "import tensorflow as tf, tensorflow_hub as hub",
             "m = hub.load(EXPORT_DIR)",
             f"z = tf.random.normal([4, {card['z_dim']}])",
             f"images = m.signatures['default']({call})['default']  # [4, R, R, 3] in [0, 1]",
             "```", ""]
    return "\n".join(lines)
