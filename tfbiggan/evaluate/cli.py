"""Evaluation command line.

  python -m tfbiggan.evaluate SUBCOMMAND --flags

Subcommands:
  train-classifier  train the dataset classifier used as feature extractor
                    (--dataset, --resolution, --output | --cache_dir, --epochs)
  metrics           FID/IS/KID/precision/recall (+ class accuracy with a
                    classifier) of --num_samples at --truncation -> JSON
  sweep             the metrics at each of --truncations -> JSON + PNG of IS
                    against FID (labelled with t) and accuracy/precision/recall
  grid              one PNG per truncation in --truncations, one row per class
  interpolate       class interpolation strips (soft y mixes) for --pairs
  standing          fill the EMA generator's standing statistics and write them
                    into a new checkpoint of the run (--num_batches, --batch_size)

Evaluation subcommands read the run in --model_dir (latest checkpoint, or
--checkpoint) and write into --output_dir (default <model_dir>/eval). A float
--truncation uses the tfhub.dev convention (z = t * truncnorm(-2, 2) and the
standing statistics for t); "none" means z ~ N(0, 1) and moving averages. If
the checkpoint has no standing statistics they are computed first (with a
warning) and not saved; run `standing` to store them.

--extractor: auto (digits: the project's classifier, trained and cached if
missing; other datasets: Inception from $TFBIGGAN_INCEPTION_PATH or
~/.cache/tfbiggan/tfgan_eval_inception_1), classifier:PATH, inception[:PATH].
"""
import logging
import os
import sys

import tensorflow as tf
from absl import flags

from tfbiggan.cli import Command
from tfbiggan.cli import entry_point as entry_point_of
from tfbiggan.errors import InputError
from tfbiggan.evaluate.classifier import train_dataset_classifier
from tfbiggan.evaluate.extractors import is_classifier_extractor, resolve_extractor
from tfbiggan.evaluate.generate import EVAL_BATCH_SIZE, ensure_standing_stats
from tfbiggan.evaluate.pictures import save_class_grids, save_interpolation_strips
from tfbiggan.evaluate.plots import plot_truncation_sweep
from tfbiggan.evaluate.references import get_reference_stats, reference_summary
from tfbiggan.evaluate.scoring import (DEFAULT_SWEEP_TRUNCATIONS, MIN_EVAL_SAMPLES,
                                       evaluate_generator, truncation_sweep)
from tfbiggan.models import STANDING_BATCH_SIZE, STANDING_BATCHES, MissingStandingStatsError
from tfbiggan.families import FAMILIES
from tfbiggan.run import (RunDirError, RunLayout, load_run, read_model_config,
                          run_dataset, store_standing_stats)
from tfbiggan.paths import refuse_overlap
from tfbiggan.run.files import write_json
from tfbiggan.progress import Progress
from tfbiggan.truncation import check_truncation, truncation_grid

SUBCOMMANDS = ("train-classifier", "metrics", "sweep", "grid", "interpolate",
               "standing")


def define_flags(fv):
    """Defines the evaluation flags on `fv` (the global FLAGS by default)."""
    f = dict(flag_values=fv)
    flags.DEFINE_string("model_dir", None, "Training run directory.", **f)
    flags.DEFINE_string("checkpoint", None, "A ckpt-N prefix; default the latest in model_dir.", **f)
    flags.DEFINE_bool("use_ema", True, "Evaluate the EMA generator (else the raw one).", **f)
    flags.DEFINE_string("dataset", None,
                        "Dataset name; default the run's settings['dataset'], else digits.", **f)
    flags.DEFINE_string("data_dir", None, "Dataset directory (tfds data_dir).", **f)
    flags.DEFINE_string("cache_dir", None,
                        "Classifier / reference-stats cache; default $TFBIGGAN_CACHE_DIR "
                        "or ~/.cache/tfbiggan.", **f)
    flags.DEFINE_string("extractor", "auto", "auto | classifier:PATH | inception[:PATH].", **f)
    flags.DEFINE_string("reference_stats", None,
                        "A reference-stats .npz to use instead of the cached one.", **f)
    flags.DEFINE_string("reference_split", "train", "Split of the real images.", **f)
    flags.DEFINE_integer("num_samples", 1000, "Generated images per metric evaluation.",
                         lower_bound=MIN_EVAL_SAMPLES, **f)
    flags.DEFINE_string("truncation", "1.0", "Truncation in [0, 1], or 'none'.", **f)
    flags.DEFINE_list("truncations", [str(t) for t in DEFAULT_SWEEP_TRUNCATIONS],
                      "Truncations for sweep and grid ('none' allowed).", **f)
    flags.DEFINE_integer("batch_size", None,
                         f"Generator batch size (default {EVAL_BATCH_SIZE}); for `standing`, "
                         f"samples per batch (default {STANDING_BATCH_SIZE}).",
                         lower_bound=1, **f)
    flags.DEFINE_integer("num_batches", STANDING_BATCHES,
                         "standing: batches averaged per truncation.", lower_bound=1, **f)
    flags.DEFINE_integer("standing_batches", STANDING_BATCHES,
                         "Batches per truncation when a checkpoint without standing "
                         "statistics needs them (they are not saved).", lower_bound=1, **f)
    flags.DEFINE_integer("standing_batch_size", STANDING_BATCH_SIZE,
                         "Batch size for those.", lower_bound=2, **f)
    flags.DEFINE_integer("seed", 0, "Seed of latents and classes.", lower_bound=0, **f)
    flags.DEFINE_bool("intra_fid", False, "Also compute intra-class FID.", **f)
    flags.DEFINE_string("output_dir", None, "Where results go; default <model_dir>/eval.", **f)
    flags.DEFINE_list("classes", None, "grid: classes (rows); default all (at most 10).", **f)
    flags.DEFINE_integer("samples_per_class", 8, "grid: columns.", lower_bound=1, **f)
    flags.DEFINE_list("pairs", "0:1", "interpolate: class pairs a:b.", **f)
    flags.DEFINE_integer("num_steps", 8, "interpolate: images per strip.", lower_bound=2, **f)
    flags.DEFINE_integer("num_latents", 2, "interpolate: strips per pair.", lower_bound=1, **f)
    flags.DEFINE_integer("scale", 2, "Pixel enlargement of PNG grids.", lower_bound=1, **f)
    flags.DEFINE_integer("resolution", None,
                         "train-classifier: image side; default the run's, else 32.",
                         lower_bound=8, **f)
    flags.DEFINE_string("output", None, "train-classifier: .keras path.", **f)
    flags.DEFINE_integer("epochs", 15, "train-classifier: epochs.", lower_bound=1, **f)


log = logging.getLogger("tfbiggan.evaluate")


def _truncation(text, name="truncation"):
    if str(text).strip().lower() in ("none", ""):
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"--{name}: {text!r} is not a number in [0, 1] or 'none'.") from None
    return check_truncation(value)


def _pairs(fv):
    pairs = []
    for pair in fv.pairs:
        a, sep, b = pair.partition(":")
        if not sep or not (a.strip().isdigit() and b.strip().isdigit()):
            raise InputError(f"--pairs entries look like 3:7 (two class indices), got "
                             f"{pair!r}.")
        pairs.append((int(a), int(b)))
    return pairs


def _check_flags(fv):
    """The checks that need no run: formats and ranges of the flags."""
    kind, _, path = fv.extractor.partition(":")
    if kind not in ("auto", "classifier", "inception") or (kind == "classifier" and not path):
        raise InputError(f"--extractor={fv.extractor!r}: use auto, classifier:PATH or "
                         "inception[:PATH].")
    _truncation(fv.truncation)
    for text in fv.truncations or []:
        _truncation(text, "truncations")
    if fv.classes and not all(c.strip().isdigit() for c in fv.classes):
        raise InputError(f"--classes={','.join(fv.classes)}: give class indices >= 0, "
                         "comma-separated.")
    _pairs(fv)
    if fv.checkpoint and not tf.io.gfile.exists(fv.checkpoint + ".index"):
        raise FileNotFoundError(f"--checkpoint={fv.checkpoint} does not exist (no "
                                f"{fv.checkpoint}.index); name a ckpt-N prefix of the run.")


def _run_truncations(fv, run, name):
    """The truncations of --truncation / --truncations for this run. A
    family without standing statistics (no batch norm, z ~ N(0, 1), such as
    Progressive GAN) has no truncation: for it the default is 'none' and a
    float is refused."""
    values = [_truncation(t, name) for t in
              (fv.truncations if name == "truncations" else [fv.truncation])]
    family = FAMILIES.of(run.config)
    if family.uses_standing_stats:
        return values
    if fv[name].present and any(t is not None for t in values):
        raise ValueError(f"--{name}={getattr(fv, name)}: {run.path} is a {family.title} "
                         "run, which has no truncation trick (no batch norm; z ~ N(0, 1)); "
                         f"pass --{name}=none or leave it out.")
    return [None]


def _output_dir(fv):
    return fv.output_dir or RunLayout(fv.model_dir).eval_dir


def _inputs(fv):
    """The paths an evaluation reads, as (flag, path)."""
    extractor_path = fv.extractor.partition(":")[2] if fv.extractor else ""
    return [("--model_dir", fv.model_dir), ("--reference_stats", fv.reference_stats),
            ("--extractor", extractor_path)]


def _require_model_dir(fv, command):
    if not fv.model_dir:
        raise InputError(f"`{command}` needs --model_dir=<a training run>.")
    # Results go to the run's eval/ folder by design; anywhere else inside
    # the run, or over any input, they would mix with or replace what is read.
    refuse_overlap("--output_dir", fv.output_dir, _inputs(fv),
                   allowed_inside=[RunLayout(fv.model_dir).eval_dir])


def _tag(truncation):
    return "none" if truncation is None else f"{truncation:.2f}"


def _load(fv, command):
    """(LoadedRun, generator, dataset) for the evaluation subcommands."""
    _require_model_dir(fv, command)
    run = load_run(fv.model_dir, fv.checkpoint)
    dataset = fv.dataset or run_dataset(run.settings) or "digits"
    generator = run.ema_generator if fv.use_ema else run.generator
    log.info("Loaded %s (step %d, %s generator).", run.path, run.step,
             "EMA" if fv.use_ema else "raw")
    return run, generator, dataset


def _standing(fv, generator, truncations):
    if any(t is not None for t in truncations):
        ensure_standing_stats(generator, fv.standing_batches, fv.standing_batch_size,
                              seed=fv.seed)


def _extractor_and_reference(fv, run, dataset):
    resolution = run.config.resolution
    extractor = resolve_extractor(fv.extractor, dataset, resolution, fv.cache_dir)
    reference, path = get_reference_stats(
        extractor, dataset, resolution, fv.cache_dir, fv.reference_split,
        fv.data_dir, path=fv.reference_stats)
    summary = reference_summary(reference, path, is_classifier_extractor(extractor))
    return extractor, reference, summary


def _header(fv, run, dataset, extractor, summary):
    return {"model_dir": os.path.abspath(fv.model_dir), "checkpoint": run.path,
            "step": run.step, "ema": fv.use_ema, "dataset": dataset,
            "extractor": extractor.name, "reference": summary, "seed": fv.seed}


def cmd_train_classifier(fv):
    refuse_overlap("--output", fv.output, [("--model_dir", fv.model_dir),
                                           ("--data_dir", fv.data_dir)],
                   allowed_inside=[RunLayout(fv.model_dir).eval_dir] if fv.model_dir else [])
    dataset = fv.dataset or "digits"
    resolution = fv.resolution
    if resolution is None and fv.model_dir:
        resolution = read_model_config(fv.model_dir)[0].resolution
    resolution = resolution or 32
    extractor, accuracy, path = train_dataset_classifier(
        dataset, resolution, output=fv.output, cache_dir=fv.cache_dir,
        epochs=fv.epochs, seed=fv.seed, verbose=2)
    print(f"classifier {extractor.name} ({dataset}, {resolution}px) saved to {path}")
    print(f"test accuracy: {accuracy:.4f}")


def cmd_metrics(fv):
    run, generator, dataset = _load(fv, "metrics")
    truncation, = _run_truncations(fv, run, "truncation")
    _standing(fv, generator, [truncation])
    extractor, reference, summary = _extractor_and_reference(fv, run, dataset)
    result = evaluate_generator(
        generator, extractor, reference, fv.num_samples, truncation,
        fv.batch_size or EVAL_BATCH_SIZE, fv.seed, progress=True,
        intra_fid=fv.intra_fid)
    path = os.path.join(_output_dir(fv), f"metrics_step{run.step}_t{_tag(truncation)}.json")
    write_json(path, {**_header(fv, run, dataset, extractor, summary), "metrics": result})
    print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in sorted(result.items())))
    print(f"wrote {path}")


def cmd_sweep(fv):
    run, generator, dataset = _load(fv, "sweep")
    truncations = _run_truncations(fv, run, "truncations")
    _standing(fv, generator, truncations)
    extractor, reference, summary = _extractor_and_reference(fv, run, dataset)
    results = truncation_sweep(generator, extractor, reference, truncations,
                               fv.num_samples, fv.batch_size or EVAL_BATCH_SIZE,
                               fv.seed, intra_fid=fv.intra_fid)
    base = os.path.join(_output_dir(fv), f"sweep_step{run.step}")
    write_json(base + ".json", {**_header(fv, run, dataset, extractor, summary),
                                "results": results})
    plot_truncation_sweep(results, base + ".png", reference=summary,
                          title=f"{dataset} step {run.step}: truncation sweep "
                                f"({extractor.name}, {fv.num_samples} samples)")
    for r in results:
        print(f"t={r['truncation']}: " + " ".join(
            f"{k}={r[k]:.4g}" for k in ("fid", "inception_score", "kid",
                                        "accuracy", "precision", "recall") if k in r))
    print(f"wrote {base}.json and {base}.png")


def cmd_grid(fv):
    run, generator, _ = _load(fv, "grid")
    truncations = _run_truncations(fv, run, "truncations")
    _standing(fv, generator, truncations)
    classes = ([int(c) for c in fv.classes] if fv.classes
               else list(range(min(run.config.num_classes, 10))))
    paths = save_class_grids(generator, truncations, _output_dir(fv), classes,
                             fv.samples_per_class, fv.seed, fv.scale,
                             prefix=f"grid_step{run.step}")
    print("\n".join(f"wrote {p}" for p in paths))


def cmd_interpolate(fv):
    run, generator, _ = _load(fv, "interpolate")
    truncation, = _run_truncations(fv, run, "truncation")
    _standing(fv, generator, [truncation])
    pairs = _pairs(fv)
    path = os.path.join(_output_dir(fv),
                        f"interpolation_step{run.step}_t{_tag(truncation)}.png")
    save_interpolation_strips(generator, pairs, path, fv.num_steps, truncation,
                              fv.num_latents, fv.seed, fv.scale)
    print(f"wrote {path}")


def cmd_standing(fv):
    _require_model_dir(fv, "standing")
    family = FAMILIES.of(read_model_config(fv.model_dir)[0])
    if not family.uses_standing_stats:
        raise ValueError(f"{fv.model_dir!r} is a {family.title} run: it has no batch norm, "
                         "so no standing statistics to store.")
    batch_size = fv.batch_size or STANDING_BATCH_SIZE
    bar = Progress(len(truncation_grid()), "standing stats")
    target, run = store_standing_stats(fv.model_dir, fv.checkpoint, fv.num_batches,
                                       batch_size, fv.seed, progress=bar)
    print(f"standing statistics of the EMA generator (step {run.step}, "
          f"{fv.num_batches} x {batch_size} samples per truncation) "
          f"written to {target}")


COMMANDS = {"train-classifier": cmd_train_classifier, "metrics": cmd_metrics,
            "sweep": cmd_sweep, "grid": cmd_grid, "interpolate": cmd_interpolate,
            "standing": cmd_standing}


def _evaluate(fv, positional):
    if len(positional) != 1 or positional[0] not in COMMANDS:
        got = f" (got {' '.join(positional)!r})" if positional else ""
        raise InputError(f"name a subcommand: python -m tfbiggan.evaluate "
                         f"{{{'|'.join(SUBCOMMANDS)}}} --model_dir=RUN ...{got}.")
    _check_flags(fv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    COMMANDS[positional[0]](fv)


# The library's checks raise ValueError for bad arguments (a truncation out
# of range, an extractor that does not fit); here they come from the flags.
COMMAND = Command("tfbiggan.evaluate", define_flags, _evaluate,
                  usage=f"python -m tfbiggan.evaluate {{{'|'.join(SUBCOMMANDS)}}} "
                        "--model_dir=RUN ...",
                  bad_input=(RunDirError, MissingStandingStatsError, ValueError),
                  positional=("subcommand",))


def entry_point(argv=None):
    entry_point_of(COMMAND, argv)
