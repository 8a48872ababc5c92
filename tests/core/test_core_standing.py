"""Standing statistics: interpolation weights, truncation lookup, accumulation."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.layers import (NUM_TRUNCATION_POINTS, ConditionalBatchNorm,
                             truncation_grid, truncation_weights)
from tfbiggan.models import Generator, MissingStandingStatsError, get_preset
from tfbiggan.standing import accumulate_standing_stats, has_standing_stats


def test_grid_is_0_to_1_in_steps_of_0_02():
    grid = truncation_grid()
    assert NUM_TRUNCATION_POINTS == 51 and grid.shape == (51,)
    np.testing.assert_allclose(np.diff(grid), 0.02, atol=1e-6)
    assert grid[0] == 0.0 and grid[-1] == 1.0


def test_weights_select_grid_points_exactly():
    grid = truncation_grid()
    weights = truncation_weights(tf.constant(grid)).numpy()
    np.testing.assert_allclose(weights, np.eye(51), atol=1e-5)
    for i in (0, 1, 25, 50):
        w = truncation_weights(float(grid[i])).numpy()
        assert np.argmax(w) == i and abs(w[i] - 1.0) < 1e-5


def test_weights_are_a_hat_function_that_sums_to_one():
    rng = np.random.default_rng(0)
    ts = rng.uniform(0, 1, 200).astype(np.float32)
    weights = truncation_weights(tf.constant(ts)).numpy()
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert (weights >= 0).all() and ((weights > 1e-6).sum(-1) <= 2).all()
    # Against numpy's linear interpolation of each grid indicator.
    grid = truncation_grid().astype(np.float64)
    reference = np.stack([np.interp(ts, grid, np.eye(51)[k]) for k in range(51)], -1)
    np.testing.assert_allclose(weights, reference, atol=1e-4)
    # Out-of-range truncations clamp to the ends.
    np.testing.assert_allclose(truncation_weights(1.5).numpy(), np.eye(51)[50], atol=1e-6)
    np.testing.assert_allclose(truncation_weights(-0.3).numpy(), np.eye(51)[0], atol=1e-6)


def _layer_with_standing(channels=3, seed=0):
    rng = np.random.default_rng(seed)
    layer = ConditionalBatchNorm(conditional=False)
    layer.build((None, 2, 2, channels))
    layer.standing_mean.assign(rng.standard_normal((51, channels)).astype("f"))
    layer.standing_variance.assign(rng.uniform(0.5, 2.0, (51, channels)).astype("f"))
    return layer


@pytest.mark.parametrize("t", [0.0, 0.02, 0.37, 0.5, 0.731, 0.99, 1.0])
def test_truncation_interpolates_standing_stats_linearly(t):
    layer = _layer_with_standing()
    x = np.random.default_rng(1).standard_normal((2, 2, 2, 3)).astype("f")
    out = layer(x, training=False, truncation=t).numpy()
    grid = truncation_grid().astype(np.float64)
    mean = np.array([np.interp(t, grid, layer.standing_mean.numpy()[:, c]) for c in range(3)])
    var = np.array([np.interp(t, grid, layer.standing_variance.numpy()[:, c]) for c in range(3)])
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-4), atol=1e-4)


def test_per_example_truncation_vector():
    layer = _layer_with_standing()
    x = np.random.default_rng(2).standard_normal((2, 2, 2, 3)).astype("f")
    ts = np.array([0.1, 0.9], np.float32)
    both = layer(x, training=False, truncation=ts).numpy()
    for i, t in enumerate(ts):
        one = layer(x[i:i + 1], training=False, truncation=float(t)).numpy()
        np.testing.assert_allclose(both[i:i + 1], one, atol=1e-5)


def test_accumulated_moments_are_the_average_of_batch_moments():
    layer = ConditionalBatchNorm(conditional=False)
    layer.build((None, 3, 3, 4))
    rng = np.random.default_rng(3)
    batches = [(rng.standard_normal((5, 3, 3, 4)) * (k + 1) + k).astype("f") for k in range(3)]
    layer.reset_accumulators()
    layer.accumulate_standing = True
    for x in batches:
        layer(x, training=True)
    layer.accumulate_standing = False
    layer.commit_standing(7)
    np.testing.assert_allclose(layer.standing_mean.numpy()[7],
                               np.mean([x.mean((0, 1, 2)) for x in batches], 0), atol=1e-5)
    np.testing.assert_allclose(layer.standing_variance.numpy()[7],
                               np.mean([x.var((0, 1, 2)) for x in batches], 0), atol=1e-4)
    # Other rows and the moving averages are untouched while accumulating.
    np.testing.assert_array_equal(layer.standing_mean.numpy()[6], 0.0)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), 0.0)
    np.testing.assert_array_equal(layer.moving_variance.numpy(), 1.0)


def test_commit_without_batches_raises():
    layer = ConditionalBatchNorm(conditional=False)
    layer.build((None, 4))
    layer.reset_accumulators()
    with pytest.raises(RuntimeError, match="no batches"):
        layer.commit_standing(0)


def test_accumulate_standing_stats_on_a_tiny_generator():
    cfg = get_preset("tiny-deep")
    g = Generator(cfg)
    g.build()
    layers = g.batch_norm_layers()
    moving = [l.moving_mean.numpy().copy() for l in layers]
    assert not has_standing_stats(g)
    accumulate_standing_stats(g, num_batches=2, batch_size=4, truncations=[1, 50], seed=0)
    # Two of 51 grid points: a truncation call would still meet unfilled rows.
    assert not has_standing_stats(g)
    with pytest.raises(MissingStandingStatsError, match="no standing batch-norm"):
        g(np.zeros((1, cfg.z_dim), "f"), np.eye(cfg.num_classes, dtype="f")[:1],
          truncation=1.0)
    g.standing_ready.assign(1.0)  # what a private copy used only at t=0.02 and 1 does
    for layer, before in zip(layers, moving):
        assert not layer.accumulate_standing
        np.testing.assert_array_equal(layer.moving_mean.numpy(), before)
        sm, sv = layer.standing_mean.numpy(), layer.standing_variance.numpy()
        assert np.abs(sm[[1, 50]]).max() > 0 and (sv[[1, 50]] != 1).any()
        np.testing.assert_array_equal(sm[2:50], 0.0)
        np.testing.assert_array_equal(sv[2:50], 1.0)
    # z = t * truncnorm: the statistics collected at t = 0.02 and t = 1.0
    # differ, and so do the images they give.
    z = np.random.default_rng(4).standard_normal((2, cfg.z_dim)).astype("f")
    y = np.eye(cfg.num_classes, dtype="f")[[0, 1]]
    low = g(z, y, truncation=0.02).numpy()
    high = g(z, y, truncation=1.0).numpy()
    assert np.max(np.abs(low - high)) > 1e-3


def test_truncation_without_standing_stats_is_an_error_eager_and_traced():
    cfg = get_preset("tiny")
    g = Generator(cfg)
    g.build()
    z = np.zeros((2, cfg.z_dim), "f")
    y = np.eye(cfg.num_classes, dtype="f")[[0, 1]]
    g(z, y)  # moving averages need nothing
    with pytest.raises(MissingStandingStatsError, match=r"truncation=0.5 .*mean 0"):
        g(z, y, truncation=0.5)
    traced = tf.function(lambda t: g(z, y, truncation=t))
    with pytest.raises(MissingStandingStatsError, match="accumulate_standing_stats"):
        traced(tf.constant(0.5))
    accumulate_standing_stats(g, num_batches=1, batch_size=2, seed=0)
    assert has_standing_stats(g)
    assert np.isfinite(traced(tf.constant(0.5)).numpy()).all()
