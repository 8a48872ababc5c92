"""Intra-class FID: per-class FID against a scipy reference, and validation."""
import numpy as np
import pytest
import scipy.linalg

from tfbiggan.metrics import intra_class_fid


def scipy_fid(real, fake):
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    return float(np.sum((real.mean(0) - fake.mean(0)) ** 2)
                 + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real))


def make_data(rng, n_per_class, num_classes, d, offset):
    labels = np.repeat(np.arange(num_classes), n_per_class)
    acts = rng.normal(size=(len(labels), d)) + labels[:, None] * offset
    perm = rng.permutation(len(labels))
    return acts[perm], labels[perm]


def test_per_class_and_mean_match_reference():
    rng = np.random.default_rng(0)
    real, real_y = make_data(rng, 60, 3, 5, offset=1.0)
    fake, fake_y = make_data(rng, 50, 3, 5, offset=1.3)
    result = intra_class_fid(real, real_y, fake, fake_y)
    assert sorted(result["per_class"]) == [0, 1, 2]
    assert result["num_classes"] == 3
    for c in range(3):
        expected = scipy_fid(real[real_y == c], fake[fake_y == c])
        assert result["per_class"][c] == pytest.approx(expected, rel=1e-8)
    assert result["mean"] == pytest.approx(np.mean(list(result["per_class"].values())))


def test_class_subset_and_float_labels():
    rng = np.random.default_rng(1)
    real, real_y = make_data(rng, 20, 4, 3, offset=1.0)
    result = intra_class_fid(real, real_y.astype(np.float32), real, real_y, classes=[1, 3])
    assert sorted(result["per_class"]) == [1, 3]
    assert result["mean"] < 1e-6


def test_validation_messages():
    rng = np.random.default_rng(2)
    real, real_y = make_data(rng, 10, 2, 3, offset=1.0)
    fake_y = real_y.copy()
    fake_y[0] = 7                                 # class 7: 0 real, 1 fake
    with pytest.raises(ValueError, match=r"Class 7 has 0 real and 1 fake.*at least 2"):
        intra_class_fid(real, real_y, real, fake_y)
    with pytest.raises(ValueError, match=r"argmax"):
        intra_class_fid(real, np.eye(2)[real_y], real, real_y)
    with pytest.raises(ValueError, match=r"`fake_labels` has 19 entries.*20 rows"):
        intra_class_fid(real, real_y, real, real_y[:19])
    with pytest.raises(ValueError, match=r"integer class ids"):
        intra_class_fid(real, real_y + 0.5, real, real_y)
    with pytest.raises(ValueError, match=r"`real_acts` has 3 features.*`fake_acts` has 2"):
        intra_class_fid(real, real_y, real[:, :2], real_y)
