"""Reference-statistics cache: contents, round trip, and extractor identity."""
import numpy as np
import pytest

from tfbiggan.metrics import fid_from_stats, gaussian_stats
from tfbiggan.evaluate.classifier import build_small_classifier
from tfbiggan.metrics.extractors import ClassifierExtractor
from tfbiggan.metrics.reference_stats import (compute_reference_stats, load_reference_stats,
                                              save_reference_stats)


class MeanPixelExtractor:
    """Duck-typed extractor: features are per-image channel means and moments."""

    name = "mean_pixel_test"

    def __call__(self, images):
        feats = np.concatenate([images.mean(axis=(1, 2)), images.std(axis=(1, 2))], 1)
        return {"features": feats, "logits": feats[:, :2]}


def batches(seed=0):
    rng = np.random.default_rng(seed)
    for start in range(0, 30, 8):
        n = min(8, 30 - start)
        images = rng.uniform(-1, 1, size=(n, 4, 4, 3)).astype(np.float32)
        yield images, np.arange(start, start + n) % 3


def test_compute_stats_matches_features():
    stats = compute_reference_stats(MeanPixelExtractor(), batches())
    assert stats["extractor_name"] == "mean_pixel_test"
    assert stats["num_samples"] == 30 and stats["features"].shape == (30, 6)
    mu, sigma = gaussian_stats(stats["features"])
    np.testing.assert_allclose(stats["mu"], mu)
    np.testing.assert_allclose(stats["sigma"], sigma)
    np.testing.assert_array_equal(stats["labels"], np.arange(30) % 3)


def test_round_trip_and_refuses_other_extractor(tmp_path):
    stats = compute_reference_stats(MeanPixelExtractor(), batches())
    path = str(tmp_path / "cache" / "real_stats.npz")
    save_reference_stats(path, stats)
    loaded = load_reference_stats(path, MeanPixelExtractor())
    assert loaded["extractor_name"] == "mean_pixel_test" and loaded["num_samples"] == 30
    for key in ("mu", "sigma", "features", "logits", "labels"):
        np.testing.assert_array_equal(loaded[key], stats[key])
    assert fid_from_stats(loaded["mu"], loaded["sigma"], stats["mu"], stats["sigma"]) < 1e-9
    with pytest.raises(ValueError, match=r"'mean_pixel_test'.*'inception_v3_tfgan_pool3'.*"
                                         r"not comparable"):
        load_reference_stats(path, "inception_v3_tfgan_pool3")


def test_classifier_extractors_with_different_weights_are_not_mixed(tmp_path):
    first = ClassifierExtractor(build_small_classifier(4, 3, 2, seed=0))
    second = ClassifierExtractor(build_small_classifier(4, 3, 2, seed=1))
    images = np.random.default_rng(0).uniform(-1, 1, (10, 4, 4, 3)).astype(np.float32)
    stats = compute_reference_stats(first, images)          # one array = one batch
    assert "labels" not in stats and stats["num_samples"] == 10
    path = str(tmp_path / "clf_stats.npz")
    save_reference_stats(path, stats)
    assert load_reference_stats(path, first.name)["extractor_name"] == first.name
    with pytest.raises(ValueError, match=r"Recompute"):
        load_reference_stats(path, second)


def test_cache_errors(tmp_path):
    stats = compute_reference_stats(MeanPixelExtractor(), batches())
    with pytest.raises(ValueError, match=r"\.npz"):
        save_reference_stats(str(tmp_path / "stats.bin"), stats)
    with pytest.raises(ValueError, match=r"lacks \['sigma'\]"):
        save_reference_stats(str(tmp_path / "s.npz"),
                             {k: v for k, v in stats.items() if k != "sigma"})
    with pytest.raises(FileNotFoundError, match=r"compute_reference_stats"):
        load_reference_stats(str(tmp_path / "absent.npz"), "x")
    with pytest.raises(ValueError, match=r"no batches"):
        compute_reference_stats(MeanPixelExtractor(), [])
    images = np.zeros((4, 2, 2, 3), np.float32)
    with pytest.raises(ValueError, match=r"argmax"):
        compute_reference_stats(MeanPixelExtractor(), [(images, np.eye(4))])
    assert list(tmp_path.iterdir()) == []                   # nothing half-written
