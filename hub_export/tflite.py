"""Convert the hub SavedModel to TFLite and check it in the LiteRT runtime.

    python -m hub_export.tflite --saved_model=PATH --output=DIR \\
        [--variants=float32,float16,dynamic_range] [--signature=default]

Writes ``DIR/generator_<variant>.tflite`` (``<signature>_<variant>.tflite`` for
a signature other than ``default``), converted with builtin ops only
(``TFLITE_BUILTINS``, no Flex), then runs every file in the LiteRT runtime
(``ai_edge_litert``) against the SavedModel on seeded random z, one-hot y and a
couple of truncation values, at two batch sizes (the batch stays dynamic), and
prints file size, load time and the largest absolute difference.

Variants and the tolerance each is held to (images are in [-1, 1]):

* ``float32``       -- plain conversion; must match within 1e-4 (fails otherwise).
* ``float16``       -- weights stored as float16, computed in float32; expected
  within 2e-2, reported (fails only with --strict).
* ``dynamic_range`` -- weights stored as int8, activations float; expected within
  1e-1, reported (fails only with --strict). Weight tensors with fewer than
  1024 elements stay float32.

Needs ``ai-edge-litert`` for the check: ``pip install 'tfbiggan[edge]'``.
"""
import os
import time

from absl import flags

from hub_export import checks
from hub_export.command import export_command, main
from hub_export.contract import SIGNATURE
from hub_export.formatting import describe_feed, human_size
from tfbiggan.cli import CommandFailed
from tfbiggan.errors import InputError
from tfbiggan.paths import check_writable_folder, refuse_overlap

VARIANTS = ("float32", "float16", "dynamic_range")
TOLERANCES = {"float32": 1e-4, "float16": 2e-2, "dynamic_range": 1e-1}
LITERT_INSTALL = "pip install 'tfbiggan[edge]'  (or: pip install ai-edge-litert==2.3.0)"


def output_filename(variant, signature=SIGNATURE):
    """``generator_float32.tflite`` for ``default``, else ``<signature>_<variant>.tflite``."""
    stem = "generator" if signature == SIGNATURE else signature
    return f"{stem}_{variant}.tflite"


def convert(saved_model_dir, variant="float32", signature=SIGNATURE):
    """Converts one signature of the SavedModel to a TFLite flatbuffer.

    Args:
      saved_model_dir: directory holding ``saved_model.pb``.
      variant: one of ``VARIANTS``.
      signature: the signature to convert; it keeps its name in the .tflite file.
    Returns:
      The .tflite model as bytes.
    Raises:
      ValueError: unknown variant, or the signature is missing.
      RuntimeError: the graph needs ops outside TFLITE_BUILTINS.
    """
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}; use one of {', '.join(VARIANTS)}.")
    checks.read_signature(saved_model_dir, signature)  # clear error if missing
    import tensorflow as tf  # lazy: heavy import
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model_dir, signature_keys=[signature])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if variant in ("float16", "dynamic_range"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    try:
        return converter.convert()
    except Exception as err:  # the converter raises several private error types
        raise RuntimeError(
            f"TFLite conversion of {saved_model_dir!r} (signature {signature!r}, "
            f"{variant}) failed with builtin ops only: {err}\n"
            "Random ops (tf.random.*, keras.random, stateless random) need Flex, "
            "which the LiteRT runtime lacks: keep z an input of the signature.") from err


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as err:
        raise ImportError(
            f"The LiteRT runtime (ai-edge-litert) is not installed ({err}). "
            f"Install it with: {LITERT_INSTALL}") from err
    return Interpreter


def load_runner(tflite_path, signature=SIGNATURE,
                default_delegates=True):
    """Loads a .tflite file in LiteRT.

    ``default_delegates=False`` runs LiteRT's own builtin kernels without the
    XNNPACK delegate that the runtime applies by default.

    Returns:
      ``(runner, seconds)``: the signature runner and the time taken to build
      the interpreter and the runner.
    Raises:
      ImportError: ai-edge-litert is missing (the message names the install).
      ValueError: the file has no such signature.
    """
    interpreter_cls = _interpreter_class()
    options = {}
    if not default_delegates:
        from ai_edge_litert.interpreter import OpResolverType
        options["experimental_op_resolver_type"] = (
            OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    start = time.perf_counter()
    interpreter = interpreter_cls(model_path=str(tflite_path), **options)
    present = list(interpreter.get_signature_list())
    if signature not in present:
        raise ValueError(f"{tflite_path} has no signature {signature!r} (it has "
                         f"{present}); convert with signature={signature!r}.")
    runner = interpreter.get_signature_runner(signature)
    return runner, time.perf_counter() - start


def _check_dynamic_batch(runner, tflite_path):
    for name, detail in runner.get_input_details().items():
        sig_shape = list(detail["shape_signature"])
        if sig_shape and sig_shape[0] != -1:
            raise ValueError(
                f"{tflite_path}: input {name!r} has a fixed batch {sig_shape[0]} "
                f"(shape {sig_shape}). Export the SavedModel signature with a None "
                "batch dimension.")


def verify(tflite_path, saved_model_dir, signature=SIGNATURE,
           batches=checks.DEFAULT_BATCHES, truncations=checks.DEFAULT_TRUNCATIONS,
           seed=0, reference=None, log=None, default_delegates=False):
    """Runs the .tflite file in LiteRT and compares it with the SavedModel.

    By default the check uses LiteRT's builtin kernels without XNNPACK: that
    tests the conversion. XNNPACK (the runtime's default) reorders float sums,
    and an untrained deep generator amplifies such rounding (biggan-deep-128
    with random weights: 4e-5 without XNNPACK, 1.2e-4 with it), so
    ``convert_and_verify`` reports the default runtime's difference beside it.

    Every (batch, truncation) pair is fed through the same runner, so the input
    tensors are resized between calls; the inputs must keep a dynamic batch.

    Args:
      tflite_path: a file written by ``convert``.
      saved_model_dir: the SavedModel it came from.
      batches, truncations, seed: the test feeds (see ``checks.make_cases``).
      reference: an ``checks.SavedModelReference`` to reuse, or None.
      log: optional callable taking one line of text (load time, per-case diff).
    Returns:
      The largest absolute difference over all outputs and cases (float).
    """
    log = log or (lambda line: None)
    reference = reference or checks.SavedModelReference(saved_model_dir, signature)
    runner, load_seconds = load_runner(tflite_path, signature, default_delegates)
    log(f"  loaded in LiteRT in {load_seconds * 1e3:.1f} ms")
    _check_dynamic_batch(runner, tflite_path)
    worst = 0.0
    for feed in checks.make_cases(reference.info, batches, truncations, seed):
        start = time.perf_counter()
        got = runner(**feed)
        seconds = time.perf_counter() - start
        diff = checks.max_abs_diff(got, reference(feed), f"TFLite {tflite_path}")
        log(f"  {describe_feed(feed)}: max|diff| {diff:.3g} "
            f"({seconds * 1e3:.1f} ms)")
        worst = max(worst, diff)
    return worst


def convert_and_verify(saved_model_dir, output_dir, variants=VARIANTS,
                       signature=SIGNATURE, seed=0, log=print):
    """Writes one .tflite per variant into ``output_dir`` and verifies each.

    Returns:
      ``{variant: (path, size_bytes, max_abs_diff)}``.
    """
    refuse_overlap("--output", output_dir, [("--saved_model", saved_model_dir)])
    check_writable_folder("--output", output_dir)
    _interpreter_class()  # fail before the slow conversion when LiteRT is missing
    checks.read_signature(saved_model_dir, signature)
    os.makedirs(output_dir, exist_ok=True)
    reference = checks.SavedModelReference(saved_model_dir, signature)
    results = {}
    for variant in variants:
        start = time.perf_counter()
        flatbuffer = convert(saved_model_dir, variant, signature)
        path = os.path.join(output_dir, output_filename(variant, signature))
        with open(path, "wb") as f:
            f.write(flatbuffer)
        log(f"{variant}: wrote {path} ({human_size(len(flatbuffer))}, "
            f"converted in {time.perf_counter() - start:.1f} s)")
        diff = verify(path, saved_model_dir, signature, seed=seed,
                      reference=reference, log=log)
        verdict = "ok" if diff <= TOLERANCES[variant] else "ABOVE"
        log(f"{variant}: max|diff| {diff:.3g} vs SavedModel, builtin kernels "
            f"({verdict}; tolerance {TOLERANCES[variant]:g})")
        runtime = verify(path, saved_model_dir, signature, seed=seed,
                         reference=reference, default_delegates=True)
        log(f"{variant}: max|diff| {runtime:.3g} with the default runtime "
            "(XNNPACK; reported, not checked)")
        results[variant] = (path, len(flatbuffer), diff)
    return results


def _parse_variants(text):
    variants = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise InputError(f"--variants={text!r}: use a comma-separated subset of "
                         f"{','.join(VARIANTS)}.")
    return variants


def define_flags(fl):
    flags.DEFINE_string("saved_model", None, "SavedModel directory from hub_export.export.",
                        flag_values=fl)
    flags.DEFINE_string("output", None, "Directory for the .tflite files.", flag_values=fl)
    flags.DEFINE_string("variants", ",".join(VARIANTS),
                        f"Comma-separated subset of {','.join(VARIANTS)}.", flag_values=fl)
    flags.DEFINE_string("signature", SIGNATURE,
                        "SavedModel signature to convert.", flag_values=fl)
    flags.DEFINE_integer("seed", 0, "Seed of the random test inputs.", lower_bound=0,
                         flag_values=fl)
    flags.DEFINE_bool("strict", False, "Also fail when float16 / dynamic_range exceed "
                      "their documented tolerance.", flag_values=fl)


USAGE = ("python -m hub_export.tflite --saved_model=PATH --output=DIR "
         "[--variants=float32,float16,dynamic_range]")


def _main(fl, positional):
    del positional
    if not fl.saved_model or not fl.output:
        raise InputError(f"--saved_model and --output are required; {USAGE}.")
    results = convert_and_verify(fl.saved_model, fl.output, _parse_variants(fl.variants),
                                 fl.signature, fl.seed)
    failed = [v for v, (_, _, diff) in results.items()
              if diff > TOLERANCES[v] and (v == "float32" or fl.strict)]
    if failed:
        raise CommandFailed(f"{', '.join(failed)} differ from the SavedModel by more than "
                            "their tolerance (see above).")


# ValueError: an unknown variant, a missing signature, not a SavedModel;
# ImportError: the LiteRT runtime is missing (the message names the install).
COMMAND = export_command("hub_export.tflite", define_flags, _main, USAGE)


if __name__ == "__main__":
    main(COMMAND)
