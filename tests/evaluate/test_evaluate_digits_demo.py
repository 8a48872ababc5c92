"""The shipped digits recipe, shortened: classifier FID falls and the class
accuracy of the samples rises from step 0 to the end.

Drives the real training loop (tfbiggan.train.training_run.TrainingRun) with the
evaluation hook, which the loop calls at step 0 of a fresh run and at the end.
The settings are configs/digits.flags with fewer steps (TFBIGGAN_DEMO_STEPS,
default 750). Slow: about 7 minutes on 2 cores.
"""
import os

import pytest

from cli_helpers import REPO

pytestmark = pytest.mark.slow



def _digits_recipe(**overrides):
    from tfbiggan.train.main import config_from_argv
    return config_from_argv([f"--flagfile={REPO}/configs/digits.flags",
                             *(f"--{k}={v}" for k, v in overrides.items())])


def test_digits_fid_falls_and_accuracy_rises(tmp_path, digits_classifier_path,
                                             eval_cache_dir):
    from tfbiggan.evaluate.hook import make_training_eval_hook
    from tfbiggan.train.training_run import TrainingRun
    from tfbiggan.train.strategy import make_strategy

    steps = int(os.environ.get("TFBIGGAN_DEMO_STEPS", "750"))
    config = _digits_recipe(num_steps=steps, eval_every=steps, save_every=0,
                            sample_every=0, log_every=100)
    hook = make_training_eval_hook(
        config.model, "digits", None, f"classifier:{digits_classifier_path}",
        num_samples=500, truncation=None, cache_dir=eval_cache_dir, seed=0)
    TrainingRun(config, make_strategy("default"), str(tmp_path / "run"),
                eval_hook=hook).train()
    (start_step, start), (end_step, end) = hook.history[0], hook.history[-1]
    print(f"[{hook.extractor_name}] step 0: fid={start['fid']:.2f} "
          f"accuracy={start['accuracy']:.3f}; step {end_step}: fid={end['fid']:.2f} "
          f"accuracy={end['accuracy']:.3f}")
    assert (start_step, end_step) == (0, steps)
    assert end["fid"] < 0.5 * start["fid"]
    # Chance is 0.1; the generator must draw the requested digit.
    assert end["accuracy"] > start["accuracy"] + 0.3
    assert os.path.isdir(str(tmp_path / "run" / "best"))
