"""Finished digits runs scored by two judges built differently, each against
its own real-vs-real floor measured with the same sample count.

    python bench/digits_judges.py --runs=NAME=RUN_DIR[,NAME=RUN_DIR...]
        [--num_samples=360] [--seed=0] [--cache_dir=DIR] [--output=FILE.json]

The judges:

* ``classifier``: the project's digits CNN on the 32 x 32 images
  (``tfbiggan.evaluate.classifier``; trained on first use and cached);
* ``pixels``: scikit-learn's MLP on the images shrunk to 8 x 8 grey pixels
  (``tfbiggan.evaluate.pixel_judge``), which shares nothing with the first
  but the data.

Each judge's FID lives in its own feature space (the CNN's penultimate layer;
the MLP's hidden layer). The protocol is the same for both and for every row:
``--num_samples`` class-balanced images against the judge's statistics of the
real train split (1437 images). The generated rows are EMA samples (BigGAN at
truncation 1.0 with its standing statistics; ProGAN, which has no truncation,
with z ~ N(0, 1)); the floor row is the real test split, which holds 360
images, so 360 is also the largest count with a floor. "x floor" divides a
run's FID by the floor of the same judge; class accuracy is the share of
samples the judge assigns to the class they were generated for.
"""
import json
import os
import sys

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

FLAGS = flags.FLAGS
flags.DEFINE_list("runs", None, "NAME=RUN_DIR pairs of finished digits runs.")
flags.DEFINE_integer("num_samples", 360, "Images per row (at most the 360 of the test "
                     "split, so that the floor has as many).", lower_bound=10)
flags.DEFINE_integer("seed", 0, "Seed of the latents and classes.")
flags.DEFINE_string("cache_dir", None, "Cache of the digits classifier and reference "
                    "statistics (default $TFBIGGAN_CACHE_DIR or ~/.cache/tfbiggan).")
flags.DEFINE_string("output", None, "Also write the results as JSON here.")

TEST_SPLIT_SIZE = 360


def judges(cache_dir):
    """{name: extractor} of the two judges."""
    from tfbiggan.evaluate.extractors import resolve_extractor
    from tfbiggan.evaluate.pixel_judge import train_pixel_judge
    pixels, accuracy = train_pixel_judge()
    print(f"pixel judge {pixels.name}: test-split accuracy {accuracy:.3f}", flush=True)
    return {"classifier": resolve_extractor("auto", "digits", 32, cache_dir),
            "pixels": pixels}


def score_run(model_dir, extractor, reference, num_samples, seed):
    """(the run's metrics, the floor's) by one judge."""
    from tfbiggan.evaluate.generate import ensure_standing_stats
    from tfbiggan.evaluate.scoring import against_floor
    from tfbiggan.families import FAMILIES
    from tfbiggan.run import load_run
    run = load_run(model_dir)
    generator = run.ema_generator
    truncation = 1.0 if FAMILIES.of(run.config).uses_standing_stats else None
    if truncation is not None:
        ensure_standing_stats(generator)
    result, floor = against_floor(generator, extractor, reference, "digits", 32, truncation,
                                  num_samples, seed=seed)
    result["step"] = run.step
    return result, floor


def main(argv):
    del argv
    from tfbiggan.evaluate.references import get_reference_stats
    if not FLAGS.runs:
        raise app.UsageError("--runs=NAME=RUN_DIR[,...] is required.")
    if FLAGS.num_samples > TEST_SPLIT_SIZE:
        raise app.UsageError(f"--num_samples={FLAGS.num_samples}: the floor can use at "
                             f"most the {TEST_SPLIT_SIZE} test images.")
    runs = dict(item.split("=", 1) for item in FLAGS.runs)
    results = {}
    for judge, extractor in judges(FLAGS.cache_dir).items():
        reference, _ = get_reference_stats(extractor, "digits", 32, FLAGS.cache_dir)
        rows = {}
        for name, model_dir in runs.items():
            rows[name], rows["real test split"] = score_run(
                model_dir, extractor, reference, FLAGS.num_samples, FLAGS.seed)
        results[judge] = {"extractor": extractor.name, "rows": rows}
    print(f"\n{FLAGS.num_samples} images per row against each judge's statistics of "
          "the train split (1437 images)\n")
    print("| run | judge | FID | x floor | class accuracy | recall |")
    print("|---|---|---|---|---|---|")
    for name in ["real test split", *runs]:
        for judge, result in results.items():
            row, floor = result["rows"][name], result["rows"]["real test split"]
            print(f"| {name} | {judge} | {row['fid']:.2f} | "
                  f"{row['fid'] / floor['fid']:.2f} | {row['accuracy']:.3f} | "
                  f"{row['recall']:.3f} |")
    if FLAGS.output:
        with open(FLAGS.output, "w", encoding="utf-8") as f:
            json.dump({"num_samples": FLAGS.num_samples, "seed": FLAGS.seed,
                       "runs": runs, "judges": results}, f, indent=2, default=float)
        print(f"\nwrote {FLAGS.output}")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app.run(main)
