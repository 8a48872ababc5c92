"""Convert the hub SavedModel to a TF.js graph model and check it in Node.

    python -m hub_export.tfjs --saved_model=PATH --output=DIR [--signature=default]
        [--quantize=float16] [--strict]

Writes ``DIR/model.json`` plus weight shards of at most 4 MiB (signature
``default``; outputs keep their names, so ``model.execute(...)`` returns
``{default: images}``), then runs the model in Node with plain
``@tensorflow/tfjs`` (``TFJS_VERSION``; pure-JS CPU backend) through
``hub_export/js/run_graph_model.mjs`` on seeded random z, one-hot y and a
couple of truncation values at two batch sizes, and compares with the
SavedModel. Float32 weights must match within 1e-4. ``--quantize=float16``
stores the weights as float16 (half the download; TF.js computes in float32):
expected within 2e-2 of the SavedModel, reported, and a failure only with
``--strict`` (the convention of ``hub_export.tflite``).

Needs, besides TensorFlow:

* the converter: ``pip install --no-deps tensorflowjs==TFJS_VERSION`` and
  ``pip install jax==0.10.2 jaxlib==0.10.2 flax==0.12.8``.
  ``tensorflowjs`` of that version pins ``tensorflow-decision-forests``, whose releases
  neither install nor import next to TF 2.21, and its SavedModel converter
  imports that module unconditionally although only decision-forest models use
  it. The conversion therefore runs in a child Python process that first
  registers an empty stand-in module under that name; this process is left
  untouched.
* Node.js >= 18 and ``npm ci`` in the repository root (``package.json`` pins
  ``@tensorflow/tfjs`` of the same version).
"""
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import types

import numpy as np
from absl import flags

from hub_export import checks
from hub_export.command import export_command, main
from hub_export.contract import MODEL_CARD_JSON, SIGNATURE
from hub_export.formatting import describe_feed, human_size
from tfbiggan.cli import CommandFailed
from tfbiggan.errors import InputError
from tfbiggan.paths import check_writable_folder, refuse_overlap

TOLERANCE = 1e-4
QUANTIZE = ("float16",)
QUANTIZED_TOLERANCES = {"float16": 2e-2}
TFJS_VERSION = "4.22.0"
CONVERTER_INSTALL = (f"pip install --no-deps tensorflowjs=={TFJS_VERSION} && pip install "
                     "jax==0.10.2 jaxlib==0.10.2 flax==0.12.8")
NODE_INSTALL = "apt-get install -y nodejs npm  (Node.js >= 18)"
NPM_INSTALL = ("npm ci  (in the repository root; package.json pins @tensorflow/tfjs "
               f"{TFJS_VERSION})")

_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parent      # .../hub_export
_REPO_ROOT = _PACKAGE_ROOT.parent                            # holds hub_export/
RUN_GRAPH_MODEL_JS = _PACKAGE_ROOT / "js" / "run_graph_model.mjs"
_TFDF = "tensorflow_decision_forests"


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------

def _tfdf_stand_in():
    """An empty module to register as ``tensorflow_decision_forests``.

    Any attribute access fails with a message saying why it is empty, so a
    decision-forest model (which would need the real package) fails loudly.
    """
    module = types.ModuleType(_TFDF, "Empty stand-in registered by hub_export.tfjs.")

    def __getattr__(name):
        raise AttributeError(
            f"{_TFDF}.{name}: this is an empty stand-in registered by hub_export.tfjs "
            "(the real package cannot be imported next to TF 2.21); decision-forest "
            "models cannot be converted here.")

    module.__getattr__ = __getattr__
    return module


def convert_in_this_process(saved_model_dir, output_dir, signature=SIGNATURE,
                            quantize=""):
    """Runs the tensorflowjs converter in the calling process.

    Registers the ``tensorflow_decision_forests`` stand-in in ``sys.modules``
    when the real one is not already imported, so call it only in a process
    dedicated to the conversion (``convert`` starts one). ``quantize``: "" or
    one of ``QUANTIZE`` (every weight stored in that type).
    """
    sys.modules.setdefault(_TFDF, _tfdf_stand_in())
    from tensorflowjs.converters import tf_saved_model_conversion_v2 as tfjs_v2
    tfjs_v2.convert_tf_saved_model(
        saved_model_dir, output_dir, signature_def=signature, saved_model_tags="serve",
        use_structured_outputs_names=True,
        quantization_dtype_map={quantize: True} if quantize else None,
        # The export's CheckNumerics guards (TF runtime only); the command-line
        # converter strips them by default too.
        strip_debug_ops=True)


def _ensure_shape_to_identity(model_json_path):
    """Turns ``EnsureShape`` nodes of a converted graph into ``Identity``.

    The hub export guards its inputs with EnsureShape. TF stores the expected
    shape as an attribute, but @tensorflow/tfjs 4.22 reads it from a second
    input, so any graph holding the op fails on every call ("Cannot read
    properties of undefined"). Mis-shaped inputs still fail in TF.js, at the
    first op that combines them with a weight. Returns the number of nodes changed.
    """
    with open(model_json_path, encoding="utf-8") as f:
        model = json.load(f)
    topology = model.get("modelTopology", {})
    bodies = [topology.get("node", [])] + [
        fn.get("nodeDef", []) for fn in topology.get("library", {}).get("function", [])]
    changed = 0
    for nodes in bodies:
        for node in nodes:
            if node.get("op") == "EnsureShape":
                node["op"] = "Identity"
                node.get("attr", {}).pop("shape", None)
                changed += 1
    if changed:
        with open(model_json_path, "w", encoding="utf-8") as f:
            json.dump(model, f)
    return changed


def converter_installed():
    """Whether the tensorflowjs package is importable (checked without importing)."""
    return importlib.util.find_spec("tensorflowjs") is not None


_CHILD_CODE = ("import sys; from hub_export.tfjs import convert_in_this_process; "
               "convert_in_this_process(*sys.argv[1:])")


def convert(saved_model_dir, output_dir, signature=SIGNATURE,
            python=sys.executable, timeout_s=1800, quantize=None):
    """Converts one SavedModel signature to a TF.js graph model in ``output_dir``.

    The converter runs in a child process (see the module docstring).
    ``quantize``: None (float32 weights) or one of ``QUANTIZE``.

    Returns:
      Sorted list of the written file names (``model.json``, shards, and
      ``model_card.json`` when the SavedModel folder has one).
    Raises:
      ImportError: the tensorflowjs converter is not installed.
      ValueError / FileNotFoundError: the SavedModel or signature is missing.
      RuntimeError: the converter failed; the message ends with its stderr.
    """
    if quantize is not None and quantize not in QUANTIZE:
        raise ValueError(f"quantize={quantize!r}: use None or one of {QUANTIZE}.")
    refuse_overlap("--output", output_dir, [("--saved_model", saved_model_dir)])
    check_writable_folder("--output", output_dir)
    checks.read_signature(saved_model_dir, signature)  # clear error if missing
    if not converter_installed():
        raise ImportError(f"The tensorflowjs converter is not installed. Install it with: "
                          f"{CONVERTER_INSTALL}")
    os.makedirs(output_dir, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_REPO_ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    proc = subprocess.run(
        [python, "-c", _CHILD_CODE, os.path.abspath(saved_model_dir),
         os.path.abspath(output_dir), signature, quantize or ""],
        env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
    if proc.returncode != 0 or not os.path.isfile(os.path.join(output_dir, "model.json")):
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
        raise RuntimeError(
            f"TF.js conversion of {saved_model_dir!r} (signature {signature!r}) failed "
            f"(exit {proc.returncode}). If tensorflowjs or jax is missing, install with: "
            f"{CONVERTER_INSTALL}\n--- converter output (tail) ---\n{tail}")
    _ensure_shape_to_identity(os.path.join(output_dir, "model.json"))
    # The export's model card travels with the graph model; the web demo reads it.
    card = os.path.join(saved_model_dir, MODEL_CARD_JSON)
    if os.path.isfile(card):
        shutil.copyfile(card, os.path.join(output_dir, MODEL_CARD_JSON))
    return sorted(os.listdir(output_dir))


# --------------------------------------------------------------------------
# Node tooling lookup
# --------------------------------------------------------------------------

def find_node(node=None):
    """Path of the ``node`` executable; raises FileNotFoundError naming the install."""
    path = shutil.which(node or "node")
    if path is None:
        raise FileNotFoundError(f"Node.js ({node or 'node'}) is not on PATH. Install it: "
                                f"{NODE_INSTALL}, then run {NPM_INSTALL}.")
    return path


def find_tfjs_package(search_from=None):
    """Directory of the installed ``@tensorflow/tfjs`` npm package.

    Looks in ``node_modules`` of ``search_from`` (if given), of the current
    directory and of the repository root, and of their parents.

    Raises:
      FileNotFoundError: not installed; the message names ``npm ci``.
    """
    starts = [pathlib.Path(p).resolve() for p in (search_from, os.getcwd(), _REPO_ROOT) if p]
    for start in starts:
        for base in (start, *start.parents):
            pkg = base / "node_modules" / "@tensorflow" / "tfjs"
            if (pkg / "package.json").is_file():
                return pkg
    raise FileNotFoundError(
        f"@tensorflow/tfjs is not installed under any of {[str(s) for s in starts]} "
        f"(nor their parents). Run: {NPM_INSTALL}")


# --------------------------------------------------------------------------
# Verification in Node
# --------------------------------------------------------------------------

def _write_request(cases, request_dir):
    runs = []
    for i, feed in enumerate(cases):
        inputs = {}
        for name, value in feed.items():
            value = np.asarray(value, dtype="<f4")  # keeps 0-d arrays 0-d
            file = f"run{i}_{name}.bin"
            value.tofile(os.path.join(request_dir, file))
            inputs[name] = {"dtype": "float32", "shape": list(value.shape), "file": file}
        runs.append({"inputs": inputs})
    path = os.path.join(request_dir, "request.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"runs": runs}, f)
    return path


def _read_outputs(output_dir, run):
    outputs = {}
    for name, spec in run["outputs"].items():
        if spec["dtype"] != "float32":
            raise ValueError(f"TF.js output {name!r} has dtype {spec['dtype']}; "
                             "expected float32.")
        data = np.fromfile(os.path.join(output_dir, spec["file"]), dtype="<f4")
        outputs[name] = data.reshape(spec["shape"])
    return outputs


def run_in_node(tfjs_dir, cases, node=None, search_from=None, timeout_s=1800):
    """Runs the graph model in Node on each feed of ``cases``.

    Args:
      tfjs_dir: directory with ``model.json`` and weight shards.
      cases: list of ``{input_name: np.ndarray float32}``.
      timeout_s: limit for the whole Node run (the pure-JS backend needs
        minutes for a BigGAN-deep-128 batch).
    Returns:
      ``(outputs, info)``: a list of ``{output_name: np.ndarray}`` per case,
      and the script's result summary (tfjs_version, backend, load_ms, run ms).
    """
    node_path = find_node(node)
    pkg = find_tfjs_package(search_from)
    if not os.path.isfile(os.path.join(tfjs_dir, "model.json")):
        raise FileNotFoundError(f"No model.json in {tfjs_dir!r}; convert first with "
                                "`python -m hub_export.tfjs`.")
    with tempfile.TemporaryDirectory(prefix="tfjs_check_") as tmp:
        request = _write_request(cases, tmp)
        out_dir = os.path.join(tmp, "out")
        proc = subprocess.run(
            [node_path, str(RUN_GRAPH_MODEL_JS), "--model_dir", os.path.abspath(tfjs_dir),
             "--request", request, "--output_dir", out_dir,
             "--resolve_from", str(pkg.parent.parent)],
            capture_output=True, text=True, timeout=timeout_s, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"Node run of {tfjs_dir!r} failed (exit {proc.returncode}):\n"
                               f"{proc.stderr.strip() or proc.stdout.strip()}")
        with open(os.path.join(out_dir, "result.json"), encoding="utf-8") as f:
            info = json.load(f)
        outputs = [_read_outputs(out_dir, run) for run in info["runs"]]
    return outputs, info


def verify(tfjs_dir, saved_model_dir, signature=SIGNATURE,
           batches=checks.DEFAULT_BATCHES, truncations=checks.DEFAULT_TRUNCATIONS,
           seed=0, node=None, reference=None, log=None):
    """Compares the TF.js graph model (run in Node) with the SavedModel.

    Returns:
      The largest absolute difference over all outputs and cases (float).
    """
    log = log or (lambda line: None)
    reference = reference or checks.SavedModelReference(saved_model_dir, signature)
    cases = checks.make_cases(reference.info, batches, truncations, seed)
    outputs, info = run_in_node(tfjs_dir, cases, node=node)
    log(f"  Node: @tensorflow/tfjs {info['tfjs_version']} on the {info['backend']} "
        f"backend, model loaded in {info['load_ms']:.1f} ms")
    worst = 0.0
    for feed, got, run in zip(cases, outputs, info["runs"]):
        diff = checks.max_abs_diff(got, reference(feed), f"TF.js model {tfjs_dir}")
        log(f"  {describe_feed(feed)}: max|diff| {diff:.3g} ({run['ms']:.1f} ms)")
        worst = max(worst, diff)
    return worst


def define_flags(fl):
    flags.DEFINE_string("saved_model", None, "SavedModel directory from hub_export.export.",
                        flag_values=fl)
    flags.DEFINE_string("output", None, "Directory for model.json and weight shards.",
                        flag_values=fl)
    flags.DEFINE_string("signature", SIGNATURE,
                        "SavedModel signature to convert.", flag_values=fl)
    flags.DEFINE_integer("seed", 0, "Seed of the random test inputs.", lower_bound=0,
                         flag_values=fl)
    flags.DEFINE_bool("verify", True, "Run the converted model in Node and compare.",
                      flag_values=fl)
    flags.DEFINE_string("node", "node", "Node.js executable.", flag_values=fl)
    flags.DEFINE_enum("quantize", None, list(QUANTIZE),
                      "Store the weights in this type (default: float32).", flag_values=fl)
    flags.DEFINE_bool("strict", False, "Also fail when a quantized model exceeds its "
                      "documented tolerance.", flag_values=fl)


USAGE = "python -m hub_export.tfjs --saved_model=PATH --output=DIR [--quantize=float16]"


def _main(fl, positional):
    del positional
    if not fl.saved_model or not fl.output:
        raise InputError(f"--saved_model and --output are required; {USAGE}.")
    if fl.verify:  # fail fast, before the slow conversion
        find_node(fl.node)
        find_tfjs_package()
    start = time.perf_counter()
    files = convert(fl.saved_model, fl.output, fl.signature, quantize=fl.quantize)
    size = sum(os.path.getsize(os.path.join(fl.output, f)) for f in files)
    print(f"wrote {fl.output}: {', '.join(files)} ({human_size(size)}, "
          f"converted in {time.perf_counter() - start:.1f} s)")
    if not fl.verify:
        return
    diff = verify(fl.output, fl.saved_model, fl.signature, seed=fl.seed, node=fl.node,
                  log=print)
    tolerance = QUANTIZED_TOLERANCES[fl.quantize] if fl.quantize else TOLERANCE
    enforced = not fl.quantize or fl.strict
    verdict = "ok" if diff < tolerance else "FAILED" if enforced else "ABOVE (reported)"
    print(f"TF.js (Node) max|diff| {diff:.3g} vs SavedModel ({verdict}; tolerance "
          f"{tolerance:g}{'' if fl.quantize is None else ', ' + fl.quantize + ' weights'})")
    if diff >= tolerance and enforced:
        raise CommandFailed(f"the TF.js model differs from the SavedModel by {diff:.3g}, "
                            f"more than its tolerance {tolerance:g}.")


# ValueError / FileNotFoundError: no SavedModel or signature; ImportError and
# a missing Node or npm package name their install.
COMMAND = export_command("hub_export.tfjs", define_flags, _main, USAGE)


if __name__ == "__main__":
    main(COMMAND)
