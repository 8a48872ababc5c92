"""The shipped digits demo (`python -m tfbiggan.train`, configs/digits.flags as
written) keeps the diversity issue 13 gave it, by two judges built
differently: the project's digits CNN (32x32) and scikit-learn's MLP on the
images shrunk to 8x8 grey pixels (``tfbiggan.evaluate.pixel_judge``). By
each, the demo's FID stays within a bound of that judge's real-vs-real floor
and at least 95% of its samples show the requested digit.

The measure (bench/digits_judges.py): reference statistics of the train
split, and as many class-balanced EMA samples at truncation 1.0 as the real
test split holds (360); the floor is that test split scored the same way.

On this project's 2-core machine the recipe scored 1.39x the CNN's floor and
2.51x the MLP's (the README's table); the recipe before it, with D as wide as
G, one D step and no R1, scored 4.4x by the CNN. The bounds, 3x and 4x,
leave room for another CPU's rounding, which moves the run's trajectory.

With TFBIGGAN_DEMO_RUN set to the run directory of a finished quickstart
(.ci/run sets it to the run its quickstart check just made), that run is
scored; otherwise the recipe is trained here first (about 10 minutes on
2 cores). Slow.
"""
import os

import pytest

from cli_helpers import repo_config

pytestmark = pytest.mark.slow

MAX_FID_RATIO = {"digits CNN": 3.0, "pixel MLP": 4.0}
MIN_ACCURACY = 0.95


def _demo_config(data_dir):
    return repo_config("--flagfile=configs/digits.flags", f"--data_dir={data_dir}")


def _train_demo(config, model_dir):
    from tfbiggan.train.strategy import make_strategy
    from tfbiggan.train.training_run import TrainingRun
    TrainingRun(config, make_strategy("default"), model_dir).train()
    return model_dir


def test_digits_demo_is_diverse_and_follows_the_class(tmp_path, digits_data_dir,
                                                      eval_cache_dir):
    from tfbiggan.evaluate.extractors import resolve_extractor
    from tfbiggan.evaluate.generate import ensure_standing_stats
    from tfbiggan.evaluate.pixel_judge import train_pixel_judge
    from tfbiggan.evaluate.references import get_reference_stats
    from tfbiggan.evaluate.scoring import against_floor
    from tfbiggan.run import load_run

    config = _demo_config(digits_data_dir)
    model_dir = (os.environ.get("TFBIGGAN_DEMO_RUN")
                 or _train_demo(config, str(tmp_path / "digits")))
    run = load_run(model_dir)
    assert run.step == config.num_steps, f"{model_dir} stopped at step {run.step}"
    assert run.config == config.model, f"{model_dir} is not a run of the digits demo"
    generator = run.ema_generator
    ensure_standing_stats(generator)
    judges = {"digits CNN": resolve_extractor("auto", "digits", 32, cache_dir=eval_cache_dir),
              "pixel MLP": train_pixel_judge()[0]}
    scores = {}
    for name, extractor in judges.items():
        reference, _ = get_reference_stats(extractor, "digits", 32, cache_dir=eval_cache_dir,
                                           data_dir=digits_data_dir)
        result, floor = against_floor(generator, extractor, reference, "digits", 32, 1.0,
                                      data_dir=digits_data_dir)
        scores[name] = (result["fid"] / floor["fid"], result["accuracy"])
        print(f"[{name}: {extractor.name}] floor FID {floor['fid']:.2f}; demo FID "
              f"{result['fid']:.2f} ({scores[name][0]:.2f}x), accuracy "
              f"{result['accuracy']:.3f}, recall {result['recall']:.3f}")
    for name, (ratio, accuracy) in scores.items():
        assert ratio <= MAX_FID_RATIO[name], (name, ratio)
        assert accuracy >= MIN_ACCURACY, (name, accuracy)
