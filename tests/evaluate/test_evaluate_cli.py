"""`python -m tfbiggan.evaluate` metrics / sweep / grid / interpolate on a tiny
run, plus the sampling helpers they rest on."""
import io
import json
import os
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from run_helpers import run_cli
from tfbiggan.evaluate.generate import ensure_standing_stats, generate_images
from tfbiggan.evaluate.pictures import class_grid, class_interpolation, class_mixes
from tfbiggan.models import Generator, get_preset, has_standing_stats
from tfbiggan.progress import Progress, format_duration
from tfbiggan.run import load_run
from tfbiggan.sampling import one_hot, sample_latents


def _png(path):
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image


@pytest.fixture(scope="module")
def tiny_ema(tiny_run_with_standing):
    return load_run(tiny_run_with_standing).ema_generator


def test_sweep_writes_one_entry_per_truncation_and_a_plot(
        tiny_run_with_standing, digits_classifier_path, eval_cache_dir, tmp_path):
    out = str(tmp_path / "out")
    run_cli("sweep", f"--model_dir={tiny_run_with_standing}", f"--output_dir={out}",
            f"--extractor=classifier:{digits_classifier_path}",
            f"--cache_dir={eval_cache_dir}", "--truncations=0.25,0.5,1.0",
            "--num_samples=40")
    payload = json.load(open(os.path.join(out, "sweep_step1.json")))
    results = payload["results"]
    assert [r["truncation"] for r in results] == [0.25, 0.5, 1.0]
    assert payload["extractor"].startswith("digits_classifier:")
    assert payload["reference"]["extractor"] == payload["extractor"]
    assert 0 < payload["reference"]["accuracy"] <= 1
    for r in results:
        assert r["extractor"] == payload["extractor"] and r["num_samples"] == 40
        for key in ("fid", "inception_score", "kid", "accuracy", "precision", "recall"):
            assert np.isfinite(r[key]), key
    image = _png(os.path.join(out, "sweep_step1.png"))
    assert image.shape[0] > 200 and image.shape[1] > 400


def test_metrics_cli_json(tiny_run_with_standing, digits_classifier_path,
                          eval_cache_dir, tmp_path):
    out = str(tmp_path / "out")
    run_cli("metrics", f"--model_dir={tiny_run_with_standing}", f"--output_dir={out}",
            f"--extractor=classifier:{digits_classifier_path}",
            f"--cache_dir={eval_cache_dir}", "--truncation=none", "--num_samples=30")
    payload = json.load(open(os.path.join(out, "metrics_step1_tnone.json")))
    metrics = payload["metrics"]
    assert metrics["truncation"] is None and metrics["num_samples"] == 30
    assert metrics["extractor"] == payload["extractor"]
    assert {"fid", "inception_score", "kid", "accuracy"} <= set(metrics)


def test_grid_has_one_row_per_class(tiny_run_with_standing, tmp_path):
    out = str(tmp_path / "grid")
    run_cli("grid", f"--model_dir={tiny_run_with_standing}", f"--output_dir={out}",
            "--truncations=0.5,none", "--classes=0,2,3", "--samples_per_class=5",
            "--scale=1")
    for tag in ("0.50", "none"):
        image = _png(os.path.join(out, f"grid_step1_t{tag}.png"))
        # 32 px tiles with 2 px padding: rows = classes, columns = samples.
        assert image.shape[:2] == (3 * 34 + 2, 5 * 34 + 2)


def test_class_grid_rows_share_latents_and_differ_by_class(tiny_ema):
    images = class_grid(tiny_ema, [0, 1], samples_per_class=3, truncation=0.5)
    assert images.shape == (6, 32, 32, 3)
    assert images.min() >= -1 and images.max() <= 1
    z = sample_latents(3, tiny_ema.config.z_dim, 0.5)
    expected = tiny_ema(z, one_hot([1, 1, 1], 4), truncation=0.5).numpy()
    np.testing.assert_allclose(images[3:], expected, atol=1e-5)
    assert not np.allclose(images[:3], images[3:])


def test_interpolation_endpoints_are_the_pure_classes(tiny_ema):
    z = sample_latents(1, tiny_ema.config.z_dim, 0.8, seed=3)
    strip = class_interpolation(tiny_ema, 1, 3, num_steps=5, truncation=0.8, z=z)
    assert strip.shape == (5, 32, 32, 3)
    ends = tiny_ema(np.repeat(z, 2, 0), one_hot([1, 3], 4), truncation=0.8).numpy()
    np.testing.assert_allclose(strip[0], ends[0], atol=1e-5)
    np.testing.assert_allclose(strip[-1], ends[1], atol=1e-5)
    assert not np.allclose(strip[2], strip[0], atol=1e-4)
    mixes = class_mixes(1, 3, 5, 4)
    np.testing.assert_allclose(mixes.sum(1), 1.0)
    np.testing.assert_allclose(mixes[2], [0, 0.5, 0, 0.5])


def test_interpolate_cli_rows(tiny_run_with_standing, tmp_path):
    out = str(tmp_path / "interp")
    run_cli("interpolate", f"--model_dir={tiny_run_with_standing}", f"--output_dir={out}",
            "--pairs=0:1,2:3", "--num_steps=4", "--num_latents=2", "--scale=1",
            "--truncation=0.5")
    image = _png(os.path.join(out, "interpolation_step1_t0.50.png"))
    assert image.shape[:2] == (4 * 34 + 2, 4 * 34 + 2)


def test_truncation_without_standing_stats(caplog):
    generator = Generator(get_preset("tiny"))
    generator.build()
    # Never silently normalised with something else...
    with pytest.raises(ValueError, match="no standing batch-norm statistics"):
        generate_images(generator, 4, truncation=0.5)
    generate_images(generator, 4, truncation=None)        # moving averages: fine
    # ...the CLI computes them first and says so.
    with caplog.at_level("WARNING"):
        assert ensure_standing_stats(generator, num_batches=1, batch_size=4,
                                       progress=False)
    assert "no standing statistics" in caplog.text
    assert has_standing_stats(generator)
    assert not ensure_standing_stats(generator)
    images, labels = generate_images(generator, 6, truncation=0.5)
    assert images.shape == (6, 32, 32, 3) and list(labels) == [0, 1, 2, 3, 0, 1]


def test_sample_latents_follow_the_tfhub_convention():
    base = sample_latents(50, 8, 1.0, seed=1)
    half = sample_latents(50, 8, 0.5, seed=1)
    np.testing.assert_allclose(half, 0.5 * base, rtol=1e-6)
    assert np.abs(base).max() <= 2.0
    assert np.all(sample_latents(4, 8, 0.0) == 0)
    assert np.abs(sample_latents(2000, 8, None)).max() > 2.0   # untruncated N(0, 1)
    with pytest.raises(ValueError):
        sample_latents(2, 8, 1.5)


def test_progress_bar_reports_eta():
    stream = io.StringIO()
    bar = Progress(4, "work", stream=stream, min_interval=0)
    bar(1, 4, 1.0)
    bar.update(advance=3)
    text = stream.getvalue()
    assert "work" in text and "1/4" in text and "4/4" in text and "ETA" in text


def test_format_duration():
    assert format_duration(12.4) == "12s"
    assert format_duration(754) == "12m34s"
    assert format_duration(7384) == "2h03m"
    assert format_duration(None) == "?" and format_duration(float("nan")) == "?"
    assert format_duration(-3) == "0s"


def test_cli_usage_errors():
    result = subprocess.run([sys.executable, "-m", "tfbiggan.evaluate", "nonsense"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "train-classifier|metrics|sweep|grid|interpolate|standing" in (
        result.stdout + result.stderr)
