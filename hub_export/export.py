"""Export a generator as a tfhub.dev-style BigGAN SavedModel that converts.

    python -m hub_export.export --model_dir=RUN_DIR --output=EXPORT_DIR \\
        [--checkpoint=RUN_DIR/ckpt-N] [--compute_standing] [--overwrite]
    python -m hub_export.export --init=random --preset=tiny --output=EXPORT_DIR

Signatures of the SavedModel (batch dynamic everywhere):

* ``default``: ``z`` float32 [batch, z_dim], ``y`` float32 [batch, num_classes]
  (one-hot or a soft mix of classes), ``truncation`` float32 scalar []
  -> ``{'default': images}`` float32 [batch, R, R, 3] in [-1, 1].
  ``truncation`` selects the batch norms' standing statistics, stored at the
  51 values 0.00, 0.02, ..., 1.00 and linearly interpolated; it is clamped to
  [0, 1] (documented, see the model card). Sample z as
  ``truncation * truncnorm(-2, 2)``.
* ``discriminator``: ``images`` float32 [batch, R, R, 3] in [-1, 1], ``y``
  float32 [batch, num_classes] -> ``{'logits': logits}`` float32 [batch].

Unlike the official modules, the graph holds no variables and no control flow:
the EMA generator is traced at inference, spectral norm is folded into its
kernels (W / sigma computed once), every remaining variable (biases, gains,
embeddings, standing statistics) becomes a constant, and the statistics are
picked by hat-function weights times the [51, C] tables. That is what lets
``hub_export.tflite`` and ``hub_export.tfjs`` convert it with builtin ops.

The export is written to a temporary folder next to ``--output``, checked
(graph ops, outputs against the live models), then renamed into place; a
non-empty ``--output`` is refused unless ``--overwrite``. ``model_card.md``
and ``model_card.json`` are written beside ``saved_model.pb``.
"""
import contextlib
import dataclasses
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Optional

import numpy as np

SIGNATURE = "default"
OUTPUT_KEY = "default"
DISCRIMINATOR_SIGNATURE = "discriminator"
LOGITS_KEY = "logits"
# Ops that mean state or control flow; none may appear in the exported graph.
FORBIDDEN_OPS = frozenset({
    "VarHandleOp", "VariableV2", "Variable", "ReadVariableOp", "AssignVariableOp",
    "AssignAddVariableOp", "AssignSubVariableOp", "ResourceGather", "If", "StatelessIf",
    "While", "StatelessWhile", "Switch", "Merge", "Enter", "Exit", "NextIteration",
    "LoopCond", "Case", "StatelessCase", "Assert",
})
NON_FINITE_HINT = ("sample z as truncation * truncnorm(-2, 2) and pass a finite "
                   "truncation in [0, 1].")
# Largest |difference| tolerated between the exported graph and the live model
# in the pre-publication check (float32 reassociation only) for a
# well-conditioned model; see `self_check` for badly conditioned ones.
SELF_CHECK_TOLERANCE = 1e-5
SENSITIVITY_MARGIN = 100


@dataclasses.dataclass
class Source:
    """The models to export and where they came from (for the model card).

    ``generator`` is the EMA generator when the source is a training run.
    """
    config: object
    generator: object
    discriminator: object
    preset: Optional[str]
    step: int
    init: str                        # "checkpoint" or "random"
    model_dir: Optional[str] = None
    checkpoint: Optional[str] = None
    standing: Optional[dict] = None  # how the standing statistics were computed
    metrics: Optional[dict] = None


# --------------------------------------------------------------------------
# Building / loading the models
# --------------------------------------------------------------------------

def preset_name(config):
    """The name of the preset equal to ``config``, or None."""
    from tfbiggan.models import PRESETS
    return next((name for name, cfg in PRESETS.items() if cfg == config), None)


def compute_standing(generator, num_batches, batch_size, seed=0, log=print):
    """Fills the standing statistics at all 51 truncations; returns card facts."""
    from tfbiggan import standing
    if num_batches < 1 or batch_size < 2:
        raise ValueError(f"standing statistics need >= 1 batch of >= 2 samples, got "
                         f"{num_batches} x {batch_size}.")

    def progress(done, total, seconds):
        if done == total or done % 10 == 0:
            log(f"  standing statistics: {done}/{total} truncations ({seconds:.0f} s)")

    start = time.perf_counter()
    standing.accumulate_standing_stats(generator, num_batches=num_batches,
                                       batch_size=batch_size, seed=seed, progress=progress)
    return {"batches_per_truncation": num_batches, "batch_size": batch_size, "seed": seed,
            "seconds": round(time.perf_counter() - start, 1)}


def random_source(preset, seed=0, standing_batches=2, standing_batch_size=8, log=print):
    """Untrained models of ``preset`` with standing statistics filled (step 0).

    The weights are random, so the images are noise, but the truncation really
    selects different statistics: this is for trying the export pipeline.
    """
    import keras
    from tfbiggan.models import Discriminator, Generator, get_preset
    config = get_preset(preset)
    keras.utils.set_random_seed(seed)
    generator, discriminator = Generator(config), Discriminator(config)
    generator.build()
    discriminator.build()
    log(f"built random {preset}: G {generator.count_params():,} weights, "
        f"D {discriminator.count_params():,} weights")
    facts = compute_standing(generator, standing_batches, standing_batch_size, seed, log)
    return Source(config, generator, discriminator, preset, 0, "random", standing=facts)


def read_metrics(model_dir, step=None):
    """Evaluation results of a run, when present, for the model card.

    Reads ``model_dir/best/best.json`` (the best checkpoint's record, written
    by the training loop) and ``model_dir/eval_log.jsonl`` (one JSON object
    with ``step`` and metrics per evaluation); returns ``{"best": {...},
    "latest": {...}, "exported_step": {...}}`` with the entries found (the
    last is the evaluation at ``step``), or None.
    """
    metrics = {}
    best = os.path.join(model_dir, "best", "best.json")
    if os.path.isfile(best):
        with open(best, encoding="utf-8") as f:
            metrics["best"] = json.load(f)
    log_path = os.path.join(model_dir, "eval_log.jsonl")
    if os.path.isfile(log_path):
        with open(log_path, encoding="utf-8") as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]
        if records:
            metrics["latest"] = records[-1]
        at_step = [r for r in records if step is not None and r.get("step") == step]
        if at_step:
            metrics["exported_step"] = at_step[-1]
    return metrics or None


def run_source(model_dir, checkpoint=None, compute_missing_standing=False,
               standing_batches=16, standing_batch_size=64, seed=0, log=print):
    """The EMA generator and the discriminator of a training run.

    Raises:
      ValueError: the EMA generator has no standing statistics and
        ``compute_missing_standing`` is False.
    """
    from tfbiggan import standing
    from tfbiggan.checkpoint import load_run
    run = load_run(model_dir, checkpoint_path=checkpoint)
    log(f"loaded {run.path} (step {run.step})")
    facts = None
    if not standing.has_standing_stats(run.ema_generator):
        if not compute_missing_standing:
            raise ValueError(
                f"The EMA generator in {run.path!r} has no standing statistics, so "
                "the truncation input would select nothing. Compute them during "
                "evaluation, or pass --compute_standing (with --standing_batches / "
                "--standing_batch_size) to compute them now.")
        facts = compute_standing(run.ema_generator, standing_batches, standing_batch_size,
                                 seed, log)
    preset = run.settings.get("preset") or preset_name(run.config)
    return Source(run.config, run.ema_generator, run.discriminator, preset, run.step,
                  "checkpoint", model_dir=os.path.abspath(model_dir), checkpoint=run.path,
                  standing=facts, metrics=read_metrics(model_dir, run.step))


# --------------------------------------------------------------------------
# Freezing
# --------------------------------------------------------------------------

def generator_specs(config):
    """Input signature of ``default``: z, y, truncation."""
    import tensorflow as tf
    return [tf.TensorSpec([None, config.z_dim], tf.float32, name="z"),
            tf.TensorSpec([None, config.num_classes], tf.float32, name="y"),
            tf.TensorSpec([], tf.float32, name="truncation")]


def discriminator_specs(config):
    """Input signature of ``discriminator``: images, y."""
    import tensorflow as tf
    r = config.resolution
    return [tf.TensorSpec([None, r, r, 3], tf.float32, name="images"),
            tf.TensorSpec([None, config.num_classes], tf.float32, name="y")]


@dataclasses.dataclass
class FrozenGraph:
    """A variable-free GraphDef of one model call and its tensor names."""
    graph_def: object
    inputs: list
    output: str


def freeze(fn, specs):
    """Traces ``fn(*specs)`` and turns every variable it reads into a constant."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)
    concrete = tf.function(fn, input_signature=specs, autograph=False).get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)
    if len(frozen.outputs) != 1:
        raise RuntimeError(f"expected one output, got {frozen.outputs}")
    result = FrozenGraph(frozen.graph.as_graph_def(), [t.name for t in frozen.inputs],
                         frozen.outputs[0].name)
    # The traced graphs hold copies of every constant in reference cycles;
    # collect them now (biggan-256: 4 GB less at the export's peak).
    del concrete, frozen
    gc.collect()
    return result


def freeze_generator(generator):
    """The EMA generator at inference, ``(z, y, truncation) -> images``, frozen."""
    def call(z, y, truncation):
        return generator(z, y, truncation=truncation, training=False)
    from tfbiggan.layers import folded_spectral_norm
    with folded_spectral_norm(generator):
        return freeze(call, generator_specs(generator.config))


def freeze_discriminator(discriminator):
    """The discriminator at inference, ``(images, y) -> logits``, frozen."""
    def call(images, y):
        return discriminator(images, y, training=False)
    from tfbiggan.layers import folded_spectral_norm
    with folded_spectral_norm(discriminator):
        return freeze(call, discriminator_specs(discriminator.config))


def _import(frozen, args, scope):
    import tensorflow as tf
    output, = tf.graph_util.import_graph_def(
        frozen.graph_def, input_map=dict(zip(frozen.inputs, args)),
        return_elements=[frozen.output], name=scope)
    return output


def nan_where_non_finite(output, inputs):
    """``output`` with NaN in every row whose inputs hold a NaN or Inf.

    ``0 * x`` is 0 for finite x and NaN otherwise, so adding the per-row sum of
    ``0 * input`` leaves finite rows bit-identical, makes a row NaN when its z
    or y (or image) is not finite, and every row NaN when a scalar input such
    as ``truncation`` is not. Plain arithmetic: it converts to TFLite and TF.js,
    whose runtimes have no CheckNumerics, so a bad input never yields a
    plausible-looking image there either.

    Args:
      output: [batch, ...] float32.
      inputs: tensors that are [batch, ...] or scalars [].
    """
    import tensorflow as tf
    poison = 0.0
    for tensor in inputs:
        zero = tensor * 0.0
        if tensor.shape.rank:
            zero = tf.reduce_sum(zero, axis=list(range(1, tensor.shape.rank)))
            zero = tf.reshape(zero, [-1] + [1] * (output.shape.rank - 1))
        poison = poison + zero
    return output + poison


def hub_module(config, g_frozen, d_frozen):
    """A ``tf.Module`` whose ``default`` / ``discriminator`` functions inline the
    frozen graphs; returns ``(module, signatures)`` for ``tf.saved_model.save``."""
    import tensorflow as tf

    def checked(tensors, specs):
        # A restored signature checks the shapes of numpy inputs but lets
        # mis-shaped tf.Tensors through; EnsureShape rejects them by name (it
        # converts to TFLite and TF.js, unlike Assert). CheckNumerics makes the
        # TF runtime reject NaN / Inf by name; both converters strip it as a
        # debug op, and `nan_where_non_finite` covers those runtimes.
        return [tf.debugging.check_numerics(
                    tf.ensure_shape(t, s.shape, name=f"check_{s.name}"),
                    f"input '{s.name}' holds NaN or Inf; {NON_FINITE_HINT}")
                for t, s in zip(tensors, specs)]

    def default(z, y, truncation):
        args = checked([z, y, truncation], generator_specs(config))
        images = nan_where_non_finite(_import(g_frozen, args, "generator"), args)
        return {OUTPUT_KEY: tf.identity(images, name="images")}

    def discriminator(images, y):
        args = checked([images, y], discriminator_specs(config))
        logits = nan_where_non_finite(_import(d_frozen, args, "discriminator"), args)
        return {LOGITS_KEY: tf.identity(logits, name="logits")}

    module = tf.Module()
    module.default = tf.function(default, input_signature=generator_specs(config),
                                 autograph=False)
    module.discriminator = tf.function(discriminator, autograph=False,
                                       input_signature=discriminator_specs(config))
    return module, {SIGNATURE: module.default,
                    DISCRIMINATOR_SIGNATURE: module.discriminator}


# --------------------------------------------------------------------------
# Checks of a written SavedModel
# --------------------------------------------------------------------------

def graph_op_types(saved_model_dir):
    """``{op_type: count}`` over every graph and function body in saved_model.pb."""
    from tensorflow.core.protobuf import saved_model_pb2
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(saved_model_dir, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    counts = {}
    for meta in saved_model.meta_graphs:
        bodies = [meta.graph_def.node] + [fn.node_def for fn in meta.graph_def.library.function]
        for nodes in bodies:
            for node in nodes:
                counts[node.op] = counts.get(node.op, 0) + 1
    return counts


def check_graph(saved_model_dir):
    """Raises RuntimeError when the graph holds variables or control flow."""
    bad = sorted(set(graph_op_types(saved_model_dir)) & FORBIDDEN_OPS)
    if bad:
        raise RuntimeError(f"the exported graph holds stateful / control-flow ops {bad}; "
                           "it would not convert to TFLite / TF.js.")


def self_check(saved_model_dir, source, seed=0):
    """Runs both signatures and compares them with the live models.

    The graph is the same arithmetic in another order (constant folding,
    fused ops), so the generator may differ by rounding, and a generator
    amplifies rounding by its own sensitivity: with standing statistics from
    few samples some variances sit near epsilon. That sensitivity is measured
    on the live model (the change a one-ulp nudge of z causes), and the
    generator must agree within ``SENSITIVITY_MARGIN`` times it, and never
    worse than needed: at most ``SELF_CHECK_TOLERANCE`` when the model is
    well conditioned. Export bugs (a wrong statistics row, unfolded spectral
    norm) move images by orders of magnitude more.

    Returns ``{"generator": max|diff|, "generator_tolerance": ...,
    "rounding_sensitivity": ..., "discriminator": max relative |diff|,
    "truncation_effect": max|G(t=0.02) - G(t=1)|}``; raises RuntimeError when
    a difference exceeds its tolerance.
    """
    import tensorflow as tf
    from tfbiggan.sampling import one_hot, truncated_normal
    cfg = source.config
    loaded = tf.saved_model.load(saved_model_dir)
    rng = np.random.default_rng(seed)
    z = truncated_normal((2, cfg.z_dim), 2.0, rng)
    y = one_hot(rng.integers(0, cfg.num_classes, 2), cfg.num_classes)
    gen = loaded.signatures[SIGNATURE]
    diffs, outs = {}, {}
    nudged = np.nextafter(z, np.float32(np.inf)).astype(np.float32)
    diffs["generator"] = diffs["rounding_sensitivity"] = 0.0
    for t in (0.02, 0.55, 1.0):
        got = gen(z=tf.constant(z), y=tf.constant(y), truncation=tf.constant(t))[OUTPUT_KEY]
        want = source.generator(z, y, truncation=t, training=False).numpy()
        moved = source.generator(nudged, y, truncation=t, training=False).numpy()
        outs[t] = got.numpy()
        diffs["generator"] = max(diffs["generator"], float(np.max(np.abs(outs[t] - want))))
        diffs["rounding_sensitivity"] = max(diffs["rounding_sensitivity"],
                                            float(np.max(np.abs(moved - want))))
    diffs["generator_tolerance"] = max(
        SELF_CHECK_TOLERANCE, SENSITIVITY_MARGIN * diffs["rounding_sensitivity"])
    images = outs[0.55]
    logits = loaded.signatures[DISCRIMINATOR_SIGNATURE](
        images=tf.constant(images), y=tf.constant(y))[LOGITS_KEY].numpy()
    want = source.discriminator(images, y, training=False).numpy()
    # Logits are sums over many activations: compare relative to their scale.
    diffs["discriminator"] = float(np.max(np.abs(logits - want)) / max(1.0, np.abs(want).max()))
    diffs["truncation_effect"] = float(np.max(np.abs(outs[0.02] - outs[1.0])))
    tolerances = {"generator": diffs["generator_tolerance"],
                  "discriminator": SELF_CHECK_TOLERANCE}
    for key, tolerance in tolerances.items():
        if not diffs[key] <= tolerance:
            raise RuntimeError(f"exported {key} differs from the live model by "
                               f"{diffs[key]:.3g} (> {tolerance:.3g}).")
    return diffs


# --------------------------------------------------------------------------
# Atomic publication
# --------------------------------------------------------------------------

def _non_empty(path):
    return os.path.isdir(path) and bool(os.listdir(path)) or (
        os.path.exists(path) and not os.path.isdir(path))


def check_output(output, overwrite):
    """Raises FileExistsError when ``output`` exists, is not empty and may not be replaced."""
    if _non_empty(output) and not overwrite:
        raise FileExistsError(f"{output!r} exists and is not empty; pass --overwrite to "
                              "replace it, or choose another --output.")
    if os.path.exists(output) and not os.path.isdir(output):
        raise FileExistsError(f"{output!r} is a file, not a folder.")


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_staging(output, log=print):
    """Cleans up after exports to ``output`` that were killed.

    Staging folders are named ``.NAME.tmp-<pid>-*`` and, while ``publish``
    swaps an old export out, ``.NAME.old-<pid>-*``. Those of processes that no
    longer run are removed; if the kill came between the two renames of
    ``publish`` (``output`` missing, its old copy aside), the old copy is put
    back first, so a killed export never loses the previous one.
    """
    output = os.path.abspath(output)
    parent, name = os.path.dirname(output), os.path.basename(output)
    if not os.path.isdir(parent):
        return
    for entry in sorted(os.listdir(parent)):
        for kind in ("old", "tmp"):
            prefix = f".{name}.{kind}-"
            if not entry.startswith(prefix):
                continue
            pid = entry[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and _process_alive(int(pid)):
                continue
            path = os.path.join(parent, entry)
            if kind == "old" and not os.path.exists(output):
                os.rename(path, output)
                log(f"restored {output} from {path}, left by a killed export")
            else:
                shutil.rmtree(path, ignore_errors=True)
                log(f"removed {path}, left by a killed export")


@contextlib.contextmanager
def staging_dir(output, log=print):
    """A fresh temporary folder beside ``output``; removed on error.

    Leftovers of killed exports to the same ``output`` are cleaned up first.
    """
    output = os.path.abspath(output)
    parent = os.path.dirname(output)
    os.makedirs(parent, exist_ok=True)
    remove_stale_staging(output, log)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.tmp-{os.getpid()}-",
                           dir=parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a model is for sharing
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish(tmp, output, overwrite):
    """Renames the finished ``tmp`` to ``output``.

    An old non-empty ``output`` (only with ``overwrite``) is first renamed
    aside, then deleted once the new one is in place, so ``output`` is always
    either the old complete export or the new one.
    """
    output = os.path.abspath(output)
    check_output(output, overwrite)
    old = None
    if os.path.isdir(output):
        if os.listdir(output):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.old-{os.getpid()}-",
                                   dir=os.path.dirname(output))
            os.rmdir(old)
            os.rename(output, old)
        else:
            os.rmdir(output)
    try:
        os.rename(tmp, output)
    except BaseException:
        if old is not None:
            os.rename(old, output)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return output


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------

def _write_saved_model(source, folder, report, log):
    """Freezes both models and saves the hub module into ``folder``.

    Everything traced here is dropped (and collected) on return, before the
    self-check loads the result: each holds copies of every constant.
    """
    import tensorflow as tf
    start = time.perf_counter()
    g_frozen = freeze_generator(source.generator)
    d_frozen = freeze_discriminator(source.discriminator)
    report["freeze_seconds"] = round(time.perf_counter() - start, 2)
    log(f"froze generator and discriminator in {report['freeze_seconds']} s")
    module, signatures = hub_module(source.config, g_frozen, d_frozen)
    start = time.perf_counter()
    tf.saved_model.save(module, folder, signatures=signatures)
    report["save_seconds"] = round(time.perf_counter() - start, 2)
    del module, signatures, g_frozen, d_frozen
    gc.collect()


def export(source, output, overwrite=False, log=print, check=True):
    """Writes the SavedModel + model card for ``source`` to ``output`` atomically.

    Returns:
      ``(output_path, report)``; report holds timings and the self-check diffs.
    """
    from hub_export import model_card
    check_output(os.path.abspath(output), overwrite)  # fail before the slow work
    report = {}
    with staging_dir(output, log) as tmp:
        _write_saved_model(source, tmp, report, log)
        check_graph(tmp)
        if check:
            start = time.perf_counter()
            report["self_check"] = self_check(tmp, source)
            report["check_seconds"] = round(time.perf_counter() - start, 2)
            log(f"self-check: {report['self_check']}")
        model_card.write(tmp, model_card.build(source))
        path = publish(tmp, output, overwrite)
    log(f"wrote {path} ({directory_size(path) / 2**20:.1f} MiB)")
    return path, report


def directory_size(path):
    """Total size in bytes of the files under ``path``."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def main(argv):
    from absl import flags  # flags are defined here only, never at import time
    fl = flags.FlagValues()
    flags.DEFINE_string("model_dir", None, "Training directory (tfbiggan.checkpoint layout).",
                        flag_values=fl)
    flags.DEFINE_string("checkpoint", None, "A ckpt-N prefix; default the latest.",
                        flag_values=fl)
    flags.DEFINE_enum("init", "checkpoint", ["checkpoint", "random"],
                      "'random' exports an untrained --preset (for trying the pipeline).",
                      flag_values=fl)
    flags.DEFINE_string("preset", None, "Preset for --init=random.", flag_values=fl)
    flags.DEFINE_string("output", None, "Export folder (must not exist or be empty).",
                        flag_values=fl)
    flags.DEFINE_bool("overwrite", False, "Replace a non-empty --output.", flag_values=fl)
    flags.DEFINE_bool("compute_standing", False,
                      "Compute standing statistics when the checkpoint has none.",
                      flag_values=fl)
    flags.DEFINE_integer("standing_batches", None,
                         "Batches per truncation for standing statistics (default 16 for "
                         "a run, 2 for --init=random).", flag_values=fl)
    flags.DEFINE_integer("standing_batch_size", None,
                         "Batch size for standing statistics (default 64 for a run, 8 for "
                         "--init=random).", flag_values=fl)
    flags.DEFINE_integer("seed", 0, "Seed of random init and standing-statistic sampling.",
                         flag_values=fl)
    flags.DEFINE_bool("check", True, "Compare the export with the live models before "
                      "publishing it.", flag_values=fl)
    fl(argv)
    usage = ("usage: python -m hub_export.export (--model_dir=RUN_DIR | --init=random "
             "--preset=NAME) --output=DIR [--overwrite]")
    if not fl.output:
        sys.exit(f"hub_export.export: --output is required.\n{usage}")
    if fl.init == "random" and (not fl.preset or fl.model_dir):
        sys.exit(f"hub_export.export: --init=random needs --preset and no --model_dir.\n{usage}")
    if fl.init == "checkpoint" and (not fl.model_dir or fl.preset):
        sys.exit(f"hub_export.export: give --model_dir (or --init=random --preset=NAME); "
                 f"--preset only applies to --init=random.\n{usage}")
    try:
        check_output(os.path.abspath(fl.output), fl.overwrite)
        if fl.init == "random":
            source = random_source(fl.preset, fl.seed, fl.standing_batches or 2,
                                   fl.standing_batch_size or 8)
        else:
            source = run_source(fl.model_dir, fl.checkpoint, fl.compute_standing,
                                fl.standing_batches or 16, fl.standing_batch_size or 64,
                                fl.seed)
        export(source, fl.output, fl.overwrite, check=fl.check)
    except (FileExistsError, FileNotFoundError, ValueError, RuntimeError) as err:
        sys.exit(f"hub_export.export: {err}")


if __name__ == "__main__":
    main(sys.argv)
