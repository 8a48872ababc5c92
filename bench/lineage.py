"""The GAN lineage on real data: every recipe of ``configs/lineage/`` and the
digits recipes they start from, trained for the same budget and scored the
same way.

    python bench/lineage.py --work_dir=DIR [--num_steps=400] [--variants=a,b,...]
        [--num_samples=N] [--truncation=1.0] [--retrain]

Each variant is ``python -m tfbiggan.train
--flagfile=configs/lineage/NAME.flags`` (``base`` is
``configs/digits_base.flags``, the recipe each lineage file changes; ``demo``
is ``configs/digits.flags``, the base with R1) with ``--num_steps`` and the
model dir overridden, run in a child process (its wall time is measured; a run
that stops, e.g. on a non-finite loss, is reported with its exit code). The EMA
generator of each run is then scored by the digits classifier (cached; trained
on first use) against the train split: classifier FID, IS, class accuracy and
improved precision/recall (k = 3) of class-balanced samples, as many as the
real test split holds (360). The first row is the floor: that test split scored
the same way against the train split, the FID a perfect generator would get
with this many samples.

Writes ``DIR/lineage.md`` (the table), ``DIR/lineage.json`` and
``DIR/lineage.png`` (one row of samples per variant, digits 0-9 left to right,
the same latents in every row).
"""
import glob
import json
import os
import subprocess
import sys
import time

import numpy as np
from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

FLAGS = flags.FLAGS
flags.DEFINE_string("work_dir", None, "Folder for the runs and the results.")
flags.DEFINE_integer("num_steps", 400, "Training steps of every variant (the budget).")
flags.DEFINE_list("variants", None, "Variants to run (default: all, 'base' and 'demo' first).")
flags.DEFINE_integer("num_samples", None, "Samples scored per variant (default: as many "
                     "as the real test split has, so that the floor is measured the "
                     "same way; FID's bias depends on the sample count).")
flags.DEFINE_float("truncation", 1.0, "Truncation of the scored samples.")
flags.DEFINE_bool("retrain", False, "Train again even when a run's checkpoint exists.")

BASE_FLAGFILE = os.path.join("configs", "digits_base.flags")
DEMO_FLAGFILE = os.path.join("configs", "digits.flags")
LINEAGE_DIR = os.path.join("configs", "lineage")
COLUMNS = ("fid", "inception_score", "accuracy", "precision", "recall")


def flagfiles():
    """{variant name: flagfile path relative to REPO}, 'base' and 'demo' first."""
    found = {"base": BASE_FLAGFILE, "demo": DEMO_FLAGFILE}
    for path in sorted(glob.glob(os.path.join(REPO, LINEAGE_DIR, "*.flags"))):
        found[os.path.basename(path)[:-len(".flags")]] = os.path.relpath(path, REPO)
    return found


def train(name, flagfile, model_dir):
    """Runs the recipe; returns (exit code, wall seconds)."""
    argv = [sys.executable, "-m", "tfbiggan.train", f"--flagfile={flagfile}",
            f"--model_dir={model_dir}", f"--num_steps={FLAGS.num_steps}",
            f"--save_every={FLAGS.num_steps}", f"--sample_every={FLAGS.num_steps}",
            "--eval_every=0"]
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")
    os.makedirs(model_dir, exist_ok=True)
    start = time.perf_counter()
    with open(os.path.join(model_dir, "train.log"), "w", encoding="utf-8") as log:
        rc = subprocess.call(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    print(f"{name}: exit {rc}, {seconds:.0f} s", flush=True)
    return rc, seconds


def score(model_dir, extractor, reference, num_samples):
    """(metrics dict, one sample per class [C, R, R, 3]) of a run's EMA generator."""
    from tfbiggan.evaluate.generate import ensure_standing_stats
    from tfbiggan.evaluate.pictures import class_grid
    from tfbiggan.evaluate.scoring import evaluate_generator
    from tfbiggan.run import load_run
    run = load_run(model_dir)
    generator = run.ema_generator
    if FLAGS.truncation is not None:
        ensure_standing_stats(generator)
    result = evaluate_generator(generator, extractor, reference, num_samples,
                                FLAGS.truncation)
    row = class_grid(generator, range(run.config.num_classes), 1, FLAGS.truncation)
    return result, row


def figure(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(rows)
    fig, axes = plt.subplots(len(names), 1, figsize=(8, 0.95 * len(names) + 0.3),
                             squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        images = (np.clip(rows[name], -1, 1) + 1) / 2
        ax.imshow(np.concatenate(list(images), axis=1))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"{FLAGS.num_steps} steps, t={FLAGS.truncation}; digits 0-9", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown(results, floor):
    lines = ["| variant | FID | FID / real | IS | accuracy | precision | recall | wall s |",
             "|---|---|---|---|---|---|---|---|"]

    def cells(m):
        return [f"{m['fid']:.1f}", f"{m['fid'] / floor['fid']:.2f}",
                f"{m['inception_score']:.2f}", f"{m['accuracy']:.3f}",
                f"{m['precision']:.3f}", f"{m['recall']:.3f}"]

    lines.append("| real test split | " + " | ".join(cells(floor)) + " | - |")
    for name, r in results.items():
        if r["exit"] != 0:
            lines.append(f"| {name} | stopped: exit {r['exit']} (see train.log) "
                         + "| - " * 5 + f"| {r['wall_s']:.0f} |")
        else:
            lines.append(f"| {name} | " + " | ".join(cells(r["metrics"]))
                         + f" | {r['wall_s']:.0f} |")
    return "\n".join(lines)


def main(argv):
    del argv
    if not FLAGS.work_dir:
        sys.exit("usage: python bench/lineage.py --work_dir=DIR [--num_steps=N]")
    work = os.path.abspath(FLAGS.work_dir)
    available = flagfiles()
    names = FLAGS.variants or list(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        sys.exit(f"Unknown variants {unknown}; choose from {', '.join(available)}.")

    from tfbiggan.evaluate.extractors import resolve_extractor
    from tfbiggan.evaluate.references import get_reference_stats
    from tfbiggan.evaluate.scoring import real_split_metrics
    extractor = resolve_extractor("auto", "digits", 32)
    reference, _ = get_reference_stats(extractor, "digits", 32)
    floor = real_split_metrics(extractor, reference, "digits", 32, split="test")
    num_samples = FLAGS.num_samples or floor["num_samples"]
    print(f"real test split ({floor['num_samples']} images): FID {floor['fid']:.2f}; "
          f"scoring {num_samples} samples per variant", flush=True)

    results, rows = {}, {}
    for name in names:
        model_dir = os.path.join(work, "runs", name)
        done = os.path.isfile(os.path.join(model_dir, "model_config.json")) and glob.glob(
            os.path.join(model_dir, f"ckpt-{FLAGS.num_steps}.index"))
        if done and not FLAGS.retrain and os.path.isfile(os.path.join(model_dir, "wall.json")):
            with open(os.path.join(model_dir, "wall.json"), encoding="utf-8") as f:
                rc, seconds = json.load(f)
        else:
            rc, seconds = train(name, available[name], model_dir)
            with open(os.path.join(model_dir, "wall.json"), "w", encoding="utf-8") as f:
                json.dump([rc, seconds], f)
        results[name] = {"flagfile": available[name], "exit": rc, "wall_s": round(seconds, 1)}
        if rc == 0:
            metrics, rows[name] = score(model_dir, extractor, reference, num_samples)
            results[name]["metrics"] = {k: metrics[k] for k in COLUMNS}
            print(f"  {name}: " + ", ".join(f"{k} {metrics[k]:.3g}" for k in COLUMNS),
                  flush=True)

    table = markdown(results, floor)
    print(table)
    with open(os.path.join(work, "lineage.md"), "w", encoding="utf-8") as f:
        f.write(table + "\n")
    with open(os.path.join(work, "lineage.json"), "w", encoding="utf-8") as f:
        json.dump({"num_steps": FLAGS.num_steps, "truncation": FLAGS.truncation,
                   "num_samples": num_samples, "extractor": extractor.name,
                   "real_test_split": {k: floor[k] for k in COLUMNS},
                   "variants": results}, f, indent=1)
    if rows:
        figure(rows, os.path.join(work, "lineage.png"))
    print(f"wrote {work}/lineage.md, lineage.json, lineage.png")


if __name__ == "__main__":
    app.run(main)
