"""Latent samplers: bounds, seeds, distribution, tfhub convention."""
import numpy as np
import pytest

from tfbiggan.sampling import one_hot, tfhub_truncated_z, truncated_normal


def test_truncated_normal_bounds_and_reproducibility():
    a = truncated_normal((64, 128), 0.5, seed=3)
    assert a.dtype == np.float32 and a.shape == (64, 128)
    assert np.abs(a).max() <= 0.5
    np.testing.assert_array_equal(a, truncated_normal((64, 128), 0.5, seed=3))
    assert not np.array_equal(a, truncated_normal((64, 128), 0.5, seed=4))
    rng = np.random.default_rng(5)
    b, c = truncated_normal((4, 4), 2.0, rng), truncated_normal((4, 4), 2.0, rng)
    assert not np.array_equal(b, c)
    with pytest.raises(ValueError):
        truncated_normal((2,), 0.0)


def test_truncated_normal_distribution():
    x = truncated_normal((400_000,), 2.0, seed=0).astype(np.float64)
    # std of N(0,1) truncated to [-2, 2]: sqrt(1 - 2*2*phi(2)/(2*Phi(2)-1)) = 0.8796
    assert abs(x.std() - 0.8796) < 0.004
    assert abs(x.mean()) < 0.005
    # The tails are resampled, not clipped: no mass piles up at the bounds.
    assert np.mean(np.abs(x) > 1.99) < 0.002


def test_tfhub_convention_scales_by_truncation():
    base = truncated_normal((8, 128), 2.0, seed=11)
    z = tfhub_truncated_z(8, 128, 0.4, seed=11)
    np.testing.assert_allclose(z, 0.4 * base, rtol=1e-6)
    assert np.abs(z).max() <= 0.8 + 1e-6
    assert np.abs(tfhub_truncated_z(8, 128, 0.0, seed=1)).max() == 0.0
    with pytest.raises(ValueError):
        tfhub_truncated_z(2, 3, 1.5)


def test_one_hot():
    np.testing.assert_array_equal(one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError):
        one_hot([3], 3)
