"""Exports one checkpoint with two checkouts of this project and compares the
SavedModels: what a refactoring of the export path must leave unchanged.

    python bench/export_parity.py --before=/path/to/old/checkout \\
        --model_dir=RUN [--model_dir=RUN2 ...] --work_dir=DIR

Each run is exported by ``python -m hub_export.export`` run from each
checkout (PYTHONPATH set to it). Both SavedModels then run every signature
on the same inputs (batches 1 and 3, two truncations where the generator
takes one); the script prints, per run and signature, the largest absolute
difference and whether the outputs are bit-identical, and whether
``saved_model.pb`` and the variables are byte-identical.
"""
import hashlib
import os
import subprocess
import sys

import numpy as np
from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
flags.DEFINE_string("before", None, "The other checkout (e.g. a worktree of an older commit).")
flags.DEFINE_multi_string("model_dir", [], "Training runs to export.")
flags.DEFINE_string("work_dir", None, "Where the exports are written.")
FLAGS = flags.FLAGS


def _export(checkout, model_dir, output):
    env = dict(os.environ, PYTHONPATH=checkout, TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run([sys.executable, "-m", "hub_export.export", f"--model_dir={model_dir}",
                    f"--output={output}", "--compute_standing"], cwd=checkout, env=env,
                   check=True, capture_output=True)


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _outputs(path):
    import tensorflow as tf
    from hub_export.checks import make_cases, read_signature
    loaded = tf.saved_model.load(path)
    results = {}
    for key in sorted(loaded.signatures):
        cases = make_cases(read_signature(path, key), seed=0)
        results[key] = [{k: v.numpy() for k, v in loaded.signatures[key](
            **{n: tf.constant(a) for n, a in feed.items()}).items()} for feed in cases]
    return results


def main(argv):
    del argv
    print("| run | signature | max abs diff | bit-identical | saved_model.pb | variables |")
    print("|---|---|---|---|---|---|")
    for model_dir in FLAGS.model_dir:
        name = os.path.basename(os.path.normpath(model_dir))
        paths = {}
        for label, checkout in (("before", FLAGS.before), ("after", REPO)):
            paths[label] = os.path.join(FLAGS.work_dir, f"{name}_{label}")
            _export(checkout, model_dir, paths[label])
        before, after = _outputs(paths["before"]), _outputs(paths["after"])
        same_pb = _digest(os.path.join(paths["before"], "saved_model.pb")) == _digest(
            os.path.join(paths["after"], "saved_model.pb"))
        variables = [sorted(os.listdir(os.path.join(p, "variables"))) for p in paths.values()]
        same_vars = variables[0] == variables[1] and all(
            _digest(os.path.join(paths["before"], "variables", f)) ==
            _digest(os.path.join(paths["after"], "variables", f)) for f in variables[0])
        for key in sorted(set(before) | set(after)):
            if key not in before or key not in after:
                print(f"| {name} | {key} | only {'after' if key in after else 'before'} | | | |")
                continue
            diffs = [float(np.max(np.abs(a[k].astype(np.float64) - b[k])))
                     for a, b in zip(after[key], before[key]) for k in a]
            exact = all(np.array_equal(a[k], b[k]) for a, b in zip(after[key], before[key])
                        for k in a)
            print(f"| {name} | {key} | {max(diffs):.3g} | {exact} | "
                  f"{'same' if same_pb else 'differs'} | {'same' if same_vars else 'differs'} |")


if __name__ == "__main__":
    flags.mark_flags_as_required(["before", "work_dir"])
    app.run(main)
