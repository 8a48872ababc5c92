"""The shipped digits demo (`python -m tfbiggan.train`, configs/digits.flags as
written) keeps the diversity issue 13 gave it: scored the way bench/lineage.py
scores it, its classifier FID stays well below the collapsed recipe's, and at
least 95% of its samples show the requested digit.

The measure: the digits classifier ("auto": trained on first use), reference
statistics of the train split, and as many class-balanced EMA samples at
truncation 1.0 as the real test split holds (360); the floor is that test split
scored against the train split in the same way.

On this project's 2-core machine the recipe scores 1.67x the floor (issue 13's
target is 2x); the recipe before it, with D as wide as G, one D step and no R1,
scored 4.4x. The bound here is 3x: another CPU rounds floats differently, and
the run's trajectory with it (the same recipe with R1 every 4 steps scored
2.5x at step 750, 2.2x at 900 and 1.69x at 1000), so a bound at 2x could fail
a sound recipe.

With TFBIGGAN_DEMO_RUN set to the run directory of a finished quickstart
(.ci/run sets it to the run its quickstart check just made), that run is
scored; otherwise the recipe is trained here first (about 10 minutes on
2 cores). Slow.
"""
import os

import pytest

from cli_helpers import REPO

pytestmark = pytest.mark.slow

MAX_FID_RATIO = 3.0
MIN_ACCURACY = 0.95


def _demo_config(data_dir):
    from tfbiggan.train.main import config_from_argv
    return config_from_argv([f"--flagfile={REPO}/configs/digits.flags",
                             f"--data_dir={data_dir}"])


def _train_demo(config, model_dir):
    from tfbiggan.train.strategy import make_strategy
    from tfbiggan.train.training_run import TrainingRun
    TrainingRun(config, make_strategy("default"), model_dir).train()
    return model_dir


def test_digits_demo_is_diverse_and_follows_the_class(tmp_path, digits_data_dir,
                                                      eval_cache_dir):
    from tfbiggan.evaluate.extractors import resolve_extractor
    from tfbiggan.evaluate.generate import ensure_standing_stats
    from tfbiggan.evaluate.references import get_reference_stats
    from tfbiggan.evaluate.scoring import evaluate_generator, real_split_metrics
    from tfbiggan.run import load_run

    config = _demo_config(digits_data_dir)
    model_dir = (os.environ.get("TFBIGGAN_DEMO_RUN")
                 or _train_demo(config, str(tmp_path / "digits")))
    run = load_run(model_dir)
    assert run.step == config.num_steps, f"{model_dir} stopped at step {run.step}"
    assert run.config == config.model, f"{model_dir} is not a run of the digits demo"
    extractor = resolve_extractor("auto", "digits", 32, cache_dir=eval_cache_dir)
    reference, _ = get_reference_stats(extractor, "digits", 32, cache_dir=eval_cache_dir,
                                       data_dir=digits_data_dir)
    floor = real_split_metrics(extractor, reference, "digits", 32, split="test",
                               data_dir=digits_data_dir)
    generator = run.ema_generator
    ensure_standing_stats(generator)
    result = evaluate_generator(generator, extractor, reference, floor["num_samples"], 1.0)
    ratio = result["fid"] / floor["fid"]
    print(f"[{extractor.name}] real test split FID {floor['fid']:.2f}; demo FID "
          f"{result['fid']:.2f} ({ratio:.2f}x), accuracy {result['accuracy']:.3f}, "
          f"recall {result['recall']:.3f}")
    assert ratio <= MAX_FID_RATIO
    assert result["accuracy"] >= MIN_ACCURACY
