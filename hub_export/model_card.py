"""The model card written next to an exported SavedModel.

``model_card.json`` (machine-readable; the web demo reads ``z_dim`` and
``num_classes`` from it) and ``model_card.md`` (the same facts for people).
"""
import datetime
import json
import os

import tfbiggan
from hub_export.contract import (DISCRIMINATOR_SIGNATURE, LOGITS_KEY, MODEL_CARD_JSON,
                                 MODEL_CARD_MARKDOWN, OUTPUT_KEY, SIGNATURE)
from tfbiggan.models import count_parameters


def _tensor(name, dtype, shape, description):
    return {"name": name, "dtype": dtype, "shape": shape, "description": description}


WEIGHTS = {"checkpoint": "EMA generator",
           "random": "random initialisation (untrained; for trying the pipeline)",
           "official": "DeepMind's published BigGAN-deep EMA generator (imported)"}


def _signature(specs, descriptions, output_key, output):
    """A signature's table: its inputs from the specs the export was written
    with, and its output ``(shape, meaning)``."""
    shape, meaning = output
    return {"inputs": [_tensor(s.name, s.dtype.name, s.shape.as_list(), descriptions[s.name])
                       for s in specs],
            "outputs": {output_key: _tensor(output_key, "float32", shape, meaning)}}


def build(source, interface, labels=None):
    """The card of a ``hub_export.source.Source`` exported with ``interface``
    (``hub_export.interface.ExportInterface``) as a JSON-serialisable dict.

    ``labels``: optional ``{"names": [num_classes class names], "source": text}``;
    the web demo's class picker shows them.
    """
    cfg = source.config
    r = cfg.resolution
    descriptions = interface.input_descriptions(cfg)
    signatures = {SIGNATURE: _signature(interface.generator_specs(cfg), descriptions,
                                        OUTPUT_KEY, interface.generator_output(cfg))}
    if source.discriminator is not None:
        signatures[DISCRIMINATOR_SIGNATURE] = _signature(
            interface.discriminator_specs(cfg), descriptions, LOGITS_KEY,
            interface.discriminator_output(cfg))
    card = {
        "name": f"tfbiggan {source.preset or cfg.architecture + '-' + str(r)}",
        "preset": source.preset,
        "family": interface.family_title,
        "architecture": cfg.architecture,
        "resolution": r,
        "z_dim": cfg.z_dim,
        "num_classes": cfg.num_classes,
        "config": cfg.to_dict(),
        "interface": interface.interface_text(cfg),
        "generator_parameters": count_parameters(source.generator),
        "discriminator_parameters": (None if source.discriminator is None
                                     else count_parameters(source.discriminator)),
        "weights": WEIGHTS[source.init],
        "init": source.init,
        "training_step": int(source.step),
        "model_dir": source.model_dir,
        "checkpoint": source.checkpoint,
        "metrics": source.metrics,
        **interface.card_fields(source),
        "z_sampling": interface.z_sampling,
        "image_to_uint8": interface.image_to_uint8,
        "signatures": signatures,
        "graph": interface.graph_note,
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


def to_markdown(card, interface):
    """The card as a markdown page; ``interface`` adds its own sections and
    usage."""
    lines = [f"# {card['name']}", "",
             f"{card['family']} generator exported by tfbiggan {card['tfbiggan_version']} "
             f"on {card['exported_at']}, in the interface of {card['interface']}, as a "
             "frozen SavedModel that converts to TFLite and TF.js.", "",
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
    lines += ["", *interface.card_sections(card), "## Metrics", ""]
    metrics = card.get("metrics")
    if metrics:
        for kind, values in metrics.items():
            lines.append(f"- {kind}: " + ", ".join(f"{k} = {v}" for k, v in values.items()))
    else:
        lines.append("Not evaluated.")
    lines += ["", "## Use", "", "```python", *interface.usage(card), "```", ""]
    return "\n".join(lines)


def write(export_dir, card, interface):
    """Writes ``model_card.json`` and ``model_card.md`` into ``export_dir``."""
    with open(os.path.join(export_dir, MODEL_CARD_JSON), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    with open(os.path.join(export_dir, MODEL_CARD_MARKDOWN), "w", encoding="utf-8") as f:
        f.write(to_markdown(card, interface))


def read(export_dir):
    """The dict stored in ``export_dir/model_card.json``."""
    with open(os.path.join(export_dir, MODEL_CARD_JSON), encoding="utf-8") as f:
        return json.load(f)
