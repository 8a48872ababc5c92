"""Truncation: latent samplers (bounds, seeds, the tfhub convention), the grid,
its interpolation weights and the range policy."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.sampling import one_hot, tfhub_truncated_z, truncated_normal
from tfbiggan.truncation import (NUM_TRUNCATION_POINTS, check_truncation,
                                 interpolation_weights, truncation_grid)


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


def test_grid_is_0_to_1_in_steps_of_0_02():
    grid = truncation_grid()
    assert NUM_TRUNCATION_POINTS == 51 and grid.shape == (51,)
    np.testing.assert_allclose(np.diff(grid), 0.02, atol=1e-6)
    assert grid[0] == 0.0 and grid[-1] == 1.0


def test_weights_select_grid_points_exactly():
    grid = truncation_grid()
    weights = interpolation_weights(tf.constant(grid)).numpy()
    np.testing.assert_allclose(weights, np.eye(51), atol=1e-5)
    for i in (0, 1, 25, 50):
        w = interpolation_weights(float(grid[i])).numpy()
        assert np.argmax(w) == i and abs(w[i] - 1.0) < 1e-5


def test_weights_are_a_hat_function_that_sums_to_one():
    rng = np.random.default_rng(0)
    ts = rng.uniform(0, 1, 200).astype(np.float32)
    weights = interpolation_weights(tf.constant(ts)).numpy()
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert (weights >= 0).all() and ((weights > 1e-6).sum(-1) <= 2).all()
    # Against numpy's linear interpolation of each grid indicator.
    grid = truncation_grid().astype(np.float64)
    reference = np.stack([np.interp(ts, grid, np.eye(51)[k]) for k in range(51)], -1)
    np.testing.assert_allclose(weights, reference, atol=1e-4)
    # Out-of-range truncations clamp to the ends.
    np.testing.assert_allclose(interpolation_weights(1.5).numpy(), np.eye(51)[50], atol=1e-6)
    np.testing.assert_allclose(interpolation_weights(-0.3).numpy(), np.eye(51)[0], atol=1e-6)


def test_check_truncation():
    assert check_truncation(None) is None and check_truncation(1) == 1.0
    for bad in (-0.01, 1.01, 2):
        with pytest.raises(ValueError, match=r"truncation must be in \[0, 1\]"):
            check_truncation(bad)