"""Standing statistics of a generator: accumulation and the error when missing."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.models import (Generator, MissingStandingStatsError, accumulate_standing_stats,
                             get_preset, has_standing_stats)


def test_accumulate_standing_stats_on_a_tiny_generator():
    cfg = get_preset("tiny-deep")
    g = Generator(cfg)
    g.build()
    layers = g.batch_norm_layers()
    moving = [l.moving_mean.numpy().copy() for l in layers]
    assert not has_standing_stats(g)
    accumulate_standing_stats(g, num_batches=2, batch_size=4, grid_indices=[1, 50], seed=0)
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
