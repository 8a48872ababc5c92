"""Files in the official formats, written from a tfbiggan generator's weights.

Real official files cannot be downloaded everywhere (tests, CI, this
project's machines), so the importer is exercised on files that reproduce
the formats with other weights:

* ``write_tfhub_module``: a TF1 Hub module built with ``tf.compat.v1``, as the
  official ``deepmind/biggan-deep-N/1`` modules are laid out (``names``):
  VariableV2 variables under the official names (``.../w/ema_0.9999``,
  ``.../u0`` of shape [1, out], ``gamma`` of shape [1]) saved by a TF1 Saver
  into ``variables/``; the statistics as root-level ``Pack`` ops ``stack_N``
  of 51 constant rows (the mean of batch norm k at 5k+1, the variance at
  5k+3; the three stacks in between are small stand-ins, since what the real
  module keeps there is not documented); the ``default`` signature with
  inputs ``z``, ``y``, ``truncation`` in a graph variant without tags, as
  ``hub.load`` reads TF1 modules; and ``tfhub_module.pb``. The graph does not
  compute a BigGAN forward pass: its ``default`` output is zeros of the
  image shape. Only what the importer and hf's converter read is faithful.
* ``write_hf_checkpoint``: the state dict of a model of hf's ``BigGAN`` class
  and its ``config.json``, as hf's ``convert_tf_to_pytorch.py`` saves them.

``random_generator`` makes a generator with random weights for either.
"""
import os

import numpy as np

from hub_export.official import names
from hub_export.official.tfhub_module import CHECKPOINT, MARKER

# Grid rows (truncation 0.0, 0.2, ..., 1.0) whose statistics random_generator
# accumulates; test truncations 0.4 and 1.0 are among them.
ACCUMULATED_ROWS = [0, 10, 20, 30, 40, 50]
# tensorflow_hub's ModuleDef {format: FORMAT_V3}: field 1, varint 1.
MODULE_DEF_V3 = b"\x08\x01"


def random_generator(config, seed=0, standing="accumulate", progress=None):
    """A built BigGAN-deep generator with every weight random and non-trivial.

    Biases, head scale/offset and the attention ``gamma`` get random values
    too (their initial 0 / 1 would hide a misplaced tensor). ``standing``:
    ``"accumulate"`` fills the statistics from forward passes (4 batches of
    16 at truncations 0, 0.2, ..., 1.0, rows in between interpolated:
    realistic activations, and few enough near-zero variances that the model
    does not amplify float rounding much), ``"random"`` draws them (fast, for
    big models whose images do not matter). ``progress``: optional
    ``callback(done, total, seconds)`` of the accumulation.
    """
    import keras

    from tfbiggan.models import Generator, accumulate_standing_stats
    keras.utils.set_random_seed(seed)
    generator = Generator(config)
    generator.build()
    rng = np.random.default_rng(seed)
    variables = names.generator_variables(generator)
    for path, variable in variables.items():
        leaf = path.rsplit("/", 1)[-1]
        if leaf == "bias" or path in ("out_bn/offset",):
            variable.assign(rng.normal(0, 0.1, variable.shape).astype(np.float32))
        elif path == "out_bn/scale":
            variable.assign(rng.uniform(0.5, 1.5, variable.shape).astype(np.float32))
        elif leaf == "gamma":
            variable.assign(0.5)
    if standing not in ("accumulate", "random"):
        raise ValueError(f"standing must be 'accumulate' or 'random', got {standing!r}.")
    if standing == "accumulate":
        accumulate_standing_stats(generator, num_batches=4, batch_size=16, seed=seed,
                                  grid_indices=ACCUMULATED_ROWS, progress=progress)
    for path in names.batch_norm_paths(generator):
        for stat in ("standing_mean", "standing_variance"):
            variable = variables[f"{path}/{stat}"]
            if standing == "random":
                table = (rng.normal(0, 0.3, variable.shape) if stat == "standing_mean"
                         else rng.uniform(0.5, 2.0, variable.shape))
            else:  # rows between the accumulated ones: linear interpolation
                table = variable.numpy()
                rows = np.arange(table.shape[0])
                table = np.stack([np.interp(rows, ACCUMULATED_ROWS, table[ACCUMULATED_ROWS, c])
                                  for c in range(table.shape[1])], axis=1)
            variable.assign(table.astype(np.float32))
    generator.standing_ready.assign(1.0)
    return generator


def tfhub_tensors(generator):
    """``{official name: array}`` of a generator: checkpoint tensors and the
    ``stack_N`` statistics, in the official layout."""
    variables = names.generator_variables(generator)
    tensors = {}
    for entry in names.tfhub_plan(generator):
        value = variables[entry.target].numpy()
        tensors[entry.sources[0]] = value.reshape(entry.shapes[0])
    return tensors


def _statistics_ops(tf, stats, num_batch_norms):
    """Root-level stacks ``stack``, ``stack_1``, ...: 5 per batch norm.

    A statistics slot (5k+1, 5k+3) missing from ``stats`` stays empty.
    """
    grid = [tf.constant(np.float32(t)) for t in np.linspace(0, 1, 51)]
    slots = (names.STATS_MEAN_OFFSET, names.STATS_VARIANCE_OFFSET)
    for k in range(num_batch_norms):
        for j in range(names.STATS_PER_BATCH_NORM):
            number = names.STATS_PER_BATCH_NORM * k + j
            name = "stack" if number == 0 else f"stack_{number}"
            if name in stats:
                tf.stack([tf.constant(row) for row in stats[name]], name=name)
            elif j not in slots:   # stand-ins for what the real module stacks there
                tf.stack(grid if j == 0 else grid[:2], name=name)


def write_tfhub_module(path, tensors, config, drop=(), extra=None):
    """Writes a TF1 Hub module of ``tensors`` (see ``tfhub_tensors``) to ``path``.

    Args:
      drop: names to leave out (tests of the importer's errors).
      extra: ``{name: array}`` written besides (or instead of) ``tensors``.
    Returns ``path``.
    """
    import tensorflow as tf
    tensors = {**{k: v for k, v in tensors.items() if k not in set(drop)}, **(extra or {})}
    stats = {k: v for k, v in tensors.items() if k.startswith("stack_")}
    num_batch_norms = max((int(k[len("stack_"):]) for k in stats), default=-1) \
        // names.STATS_PER_BATCH_NORM + 1
    v1 = tf.compat.v1
    r = config.resolution
    with tf.Graph().as_default() as graph:
        _statistics_ops(tf, stats, num_batch_norms)
        z = v1.placeholder(tf.float32, [None, config.z_dim], name="z")
        y = v1.placeholder(tf.float32, [None, config.num_classes], name="y")
        truncation = v1.placeholder(tf.float32, [], name="truncation")
        images = tf.zeros(tf.stack([tf.shape(z)[0], r, r, 3], name="image_shape"),
                          name="images")
        variables = [(v1.get_variable(name, value.shape, tf.as_dtype(value.dtype),
                                      initializer=v1.zeros_initializer(), use_resource=False),
                      value)
                     for name, value in tensors.items() if not name.startswith("stack_")]
        signature = v1.saved_model.signature_def_utils.predict_signature_def(
            inputs={"z": z, "y": y, "truncation": truncation}, outputs={"default": images})
        with v1.Session(graph=graph) as session:
            # One run: every initializer, fed its value instead of its zeros.
            session.run([v.initializer for v, _ in variables],
                        {v.initializer.inputs[1]: value for v, value in variables})
            builder = v1.saved_model.Builder(str(path))
            builder.add_meta_graph_and_variables(session, [],
                                                 signature_def_map={"default": signature})
            builder.save()
    with open(os.path.join(path, MARKER), "wb") as f:
        f.write(MODULE_DEF_V3)
    if not os.path.isfile(os.path.join(path, CHECKPOINT + ".index")):
        raise RuntimeError(f"{path}: the TF1 Saver wrote no {CHECKPOINT}.index")
    return str(path)


def write_hf_checkpoint(path, model, legacy_format=False):
    """Saves a model of hf's ``BigGAN`` class as hf does: ``pytorch_model.bin``
    (its state dict) and ``config.json``. ``legacy_format`` writes torch's
    pre-1.6 serialization, the format of hf's published 2019 files."""
    import torch
    os.makedirs(path, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(path, "pytorch_model.bin"),
               _use_new_zipfile_serialization=not legacy_format)
    with open(os.path.join(path, "config.json"), "w", encoding="utf-8") as f:
        f.write(model.config.to_json_string())
    return str(path)


def hf_config_json(config):
    """hf's ``BigGANConfig`` fields for a tfbiggan BigGAN-deep config (a dict)."""
    from hub_export.official.configs import deep_stage_layers
    layers = deep_stage_layers(config.resolution)
    position, resolution = len(layers), 4
    for i, (up, _, _) in enumerate(layers):
        resolution *= 2 if up else 1
        if up and resolution == config.g_attention:
            position = i + 1
    return {"output_dim": config.resolution, "z_dim": config.z_dim,
            "class_embed_dim": config.embed_dim, "channel_width": config.g_ch,
            "num_classes": config.num_classes, "layers": [list(x) for x in layers],
            "attention_layer_position": position, "eps": config.bn_epsilon, "n_stats": 51}

