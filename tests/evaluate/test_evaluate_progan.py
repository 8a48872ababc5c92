"""The evaluate CLI on a Progressive GAN run: metrics, grids and interpolation
with z ~ N(0, 1) (ProGAN has no truncation), and clear refusals of a
truncation or of standing statistics."""
import json
import os

import pytest

from run_helpers import make_tiny_progan_run, run_cli


@pytest.fixture(scope="module")
def progan_run(tmp_path_factory):
    model_dir = str(tmp_path_factory.mktemp("progan_run"))
    make_tiny_progan_run(model_dir)
    return model_dir


def test_evaluate_cli_on_a_progan_run(progan_run, digits_classifier_path, eval_cache_dir,
                                      tmp_path):
    out = str(tmp_path / "out")
    common = (f"--model_dir={progan_run}", f"--output_dir={out}")
    run_cli("metrics", *common, f"--extractor=classifier:{digits_classifier_path}",
            f"--cache_dir={eval_cache_dir}", "--num_samples=20")
    metrics = json.load(open(os.path.join(out, "metrics_step1_tnone.json")))["metrics"]
    assert metrics["truncation"] is None and {"fid", "accuracy"} <= set(metrics)
    run_cli("grid", *common, "--classes=0,3", "--samples_per_class=2")
    run_cli("interpolate", *common, "--pairs=1:7", "--num_steps=3", "--num_latents=1")
    assert sorted(os.listdir(out)) == ["grid_step1_tnone.png", "interpolation_step1_tnone.png",
                                       "metrics_step1_tnone.json"]


def test_evaluate_cli_refuses_truncation_and_standing_for_progan(progan_run):
    with pytest.raises(ValueError, match="no truncation trick"):
        run_cli("metrics", f"--model_dir={progan_run}", "--truncation=0.5")
    with pytest.raises(ValueError, match="no batch norm, so no standing statistics"):
        run_cli("standing", f"--model_dir={progan_run}")
