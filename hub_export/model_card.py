"""The model card written next to an exported SavedModel.

``model_card.json`` (machine-readable; the web demo reads ``z_dim`` and
``num_classes`` from it) and ``model_card.md`` (the same facts for people).
"""
import datetime
import json
import os

import tfbiggan
from hub_export.contract import (DISCRIMINATOR_SIGNATURE, LOGITS_KEY, MODEL_CARD_JSON,
                                 MODEL_CARD_MARKDOWN, NON_FINITE_NOTE, OUTPUT_KEY,
                                 SHAPE_NOTE, SIGNATURE, TRUNCATION_NOTE)
from tfbiggan.models import count_parameters
from tfbiggan.truncation import NUM_TRUNCATION_POINTS, TRUNCATION_RANGE


def _tensor(name, dtype, shape, description):
    return {"name": name, "dtype": dtype, "shape": shape, "description": description}


WEIGHTS = {"checkpoint": "EMA generator",
           "random": "random initialisation (untrained; for trying the pipeline)",
           "official": "DeepMind's published BigGAN-deep EMA generator (imported)"}


def _discriminator_signature(cfg):
    r = cfg.resolution
    return {
        "inputs": [
            _tensor("images", "float32", [None, r, r, 3], "images in [-1, 1], NHWC"),
            _tensor("y", "float32", [None, cfg.num_classes], "one-hot class, or a soft mix"),
        ],
        "outputs": {LOGITS_KEY: _tensor(
            "logits", "float32", [None], "projection-discriminator logits")},
    }


def build(source, labels=None):
    """The card of a ``hub_export.source.Source`` as a JSON-serialisable dict.

    ``labels``: optional ``{"names": [num_classes class names], "source": text}``;
    the web demo's class picker shows them.
    """
    cfg = source.config
    r = cfg.resolution
    signatures = {
        SIGNATURE: {
            "inputs": [
                _tensor("z", "float32", [None, cfg.z_dim], "latent"),
                _tensor("y", "float32", [None, cfg.num_classes],
                        "one-hot class, or a soft mix of classes"),
                _tensor("truncation", "float32", [], "scalar in [0, 1] (clamped)"),
            ],
            "outputs": {OUTPUT_KEY: _tensor(
                "default", "float32", [None, r, r, 3], "images in [-1, 1], NHWC")},
        },
    }
    if source.discriminator is not None:
        signatures[DISCRIMINATOR_SIGNATURE] = _discriminator_signature(cfg)
    card = {
        "name": f"tfbiggan {source.preset or cfg.architecture + '-' + str(r)}",
        "preset": source.preset,
        "architecture": cfg.architecture,
        "resolution": r,
        "z_dim": cfg.z_dim,
        "num_classes": cfg.num_classes,
        "config": cfg.to_dict(),
        "generator_parameters": count_parameters(source.generator),
        "discriminator_parameters": (None if source.discriminator is None
                                     else count_parameters(source.discriminator)),
        "weights": WEIGHTS[source.init],
        "init": source.init,
        "training_step": int(source.step),
        "model_dir": source.model_dir,
        "checkpoint": source.checkpoint,
        "metrics": source.metrics,
        "truncation": {
            "range": list(TRUNCATION_RANGE),
            "grid_points": NUM_TRUNCATION_POINTS,
            "interpolation": "linear between grid points",
            "out_of_range": "clamp",
            "note": TRUNCATION_NOTE,
        },
        "standing_statistics": source.standing or "from the checkpoint",
        "z_sampling": "truncation * truncnorm(-2, 2)",
        "image_to_uint8": "clip(((images + 1) / 2) * 256, 0, 255)",
        "signatures": signatures,
        "input_validation": SHAPE_NOTE,
        "non_finite_inputs": NON_FINITE_NOTE,
        "graph": "frozen: no variables, no control flow; spectral norm folded into kernels",
        "tfbiggan_version": tfbiggan.__version__,
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
    }
    if source.origin is not None:
        card["origin"] = source.origin
    if labels is not None:
        card["labels"] = list(labels["names"])
        card["labels_source"] = labels["source"]
    return card


def _shape(shape):
    return "[" + ", ".join("batch" if d is None else str(d) for d in shape) + "]"


def to_markdown(card):
    """The card as a markdown page."""
    lines = [f"# {card['name']}", "",
             f"BigGAN generator exported by tfbiggan {card['tfbiggan_version']} on "
             f"{card['exported_at']}, in the tfhub.dev BigGAN interface, as a frozen "
             "SavedModel that converts to TFLite and TF.js.", "",
             "| | |", "|---|---|"]
    facts = [("Preset", card["preset"] or "(custom config)"),
             ("Architecture", card["architecture"]),
             ("Resolution", f"{card['resolution']} x {card['resolution']}"),
             ("z_dim", card["z_dim"]), ("num_classes", card["num_classes"]),
             ("Weights", card["weights"]), ("Training step", card["training_step"]),
             ("Generator parameters (trainable)", f"{card['generator_parameters']:,}"),
             ("Discriminator parameters (trainable)",
              "none" if card["discriminator_parameters"] is None
              else f"{card['discriminator_parameters']:,}"),
             ("Checkpoint", card["checkpoint"] or "-")]
    lines += [f"| {k} | {v} |" for k, v in facts]
    origin = card.get("origin")
    if origin:
        lines += ["", "## Source of the weights", "",
                  f"- Imported from the {origin['format']} at `{origin['path']}`.",
                  f"- Published as: {origin['published_as']}",
                  f"- Licence: {origin['licence']}. {origin['licence_note']}",
                  f"- Discriminator: {origin['discriminator']}",
                  f"- Moving batch-norm statistics: {origin['moving_statistics']}.",
                  f"- Truncation: {origin['truncation_versus_hf']}"]
        if origin.get("tensors_ignored"):
            lines.append("- File tensors skipped with --ignore_unused: "
                         + ", ".join(f"`{n}`" for n in origin["tensors_ignored"]))
    if card.get("labels"):
        lines += ["", "## Classes", "", f"{len(card['labels'])} class names from "
                  f"{card['labels_source']} (in model_card.json, key `labels`)."]
    for key, sig in card["signatures"].items():
        lines += ["", f"## Signature `{key}`", "", "| tensor | dtype | shape | meaning |",
                  "|---|---|---|---|"]
        lines += [f"| input `{t['name']}` | {t['dtype']} | {_shape(t['shape'])} | "
                  f"{t['description']} |" for t in sig["inputs"]]
        lines += [f"| output `{k}` | {t['dtype']} | {_shape(t['shape'])} | "
                  f"{t['description']} |" for k, t in sig["outputs"].items()]
    lines += ["", "## Truncation", "", card["truncation"]["note"], "",
              "## Input checks", "", card["input_validation"], "",
              card["non_finite_inputs"], "",
              "## Metrics", ""]
    metrics = card.get("metrics")
    if metrics:
        for kind, values in metrics.items():
            lines.append(f"- {kind}: " + ", ".join(f"{k} = {v}" for k, v in values.items()))
    else:
        lines.append("Not evaluated.")
    lines += ["", "## Use", "", "```python",
              "import tensorflow as tf, tensorflow_hub as hub",
              "module = hub.load(PATH)",
              "images = module.signatures['default'](",
              "    z=z, y=y, truncation=tf.constant(t))['default']",
              *(["logits = module.signatures['discriminator'](images=images, y=y)['logits']"]
                if DISCRIMINATOR_SIGNATURE in card["signatures"] else []),
              "# tf_keras: hub.KerasLayer(PATH, signature='default', output_key='default')",
              "#   called on dict(z=z, y=y, truncation=tf.constant(t))",
              "# Keras 3: keras.layers.TFSMLayer(PATH, call_endpoint='default')",
              "#   called as layer(z, y=y, truncation=tf.constant(t))['default']",
              "```", ""]
    return "\n".join(lines)


def write(export_dir, card, markdown=None):
    """Writes ``model_card.json`` and ``model_card.md`` (``markdown``, default
    ``to_markdown(card)``) into ``export_dir``."""
    with open(os.path.join(export_dir, MODEL_CARD_JSON), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    with open(os.path.join(export_dir, MODEL_CARD_MARKDOWN), "w", encoding="utf-8") as f:
        f.write(to_markdown(card) if markdown is None else markdown)


def read(export_dir):
    """The dict stored in ``export_dir/model_card.json``."""
    with open(os.path.join(export_dir, MODEL_CARD_JSON), encoding="utf-8") as f:
        return json.load(f)
