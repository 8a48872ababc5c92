"""Batch norms: numpy reference, cross-replica moments, modes, standing
statistics (interpolation over the truncation grid, accumulation)."""
import numpy as np
import pytest
import tensorflow as tf

from layer_test_helper import run_layer_test
from tfbiggan.layers import ConditionalBatchNorm, StandingBatchNorm
from tfbiggan.truncation import truncation_grid

EPS = 1e-4


def _np_bn(x, mean, var, gain, bias):
    return (x - mean) / np.sqrt(var + EPS) * gain + bias


def _np_sn(kernel, u):
    """One power iteration from u, as the layer does in inference."""
    v = kernel @ u
    v /= max(np.linalg.norm(v), 1e-4)
    u2 = kernel.T @ v
    u2 /= max(np.linalg.norm(u2), 1e-4)
    return kernel / (v @ kernel @ u2)


def _make(conditional=True, channels=5, cond_dim=6, seed=0):
    layer = ConditionalBatchNorm() if conditional else StandingBatchNorm()
    layer.build((None, 4, 4, channels))
    rng = np.random.default_rng(seed)
    if conditional:
        layer(tf.zeros([1, 4, 4, channels]), tf.zeros([1, cond_dim]))
        layer.scale.kernel.assign(rng.standard_normal((cond_dim, channels)).astype("f"))
        layer.offset.kernel.assign(rng.standard_normal((cond_dim, channels)).astype("f"))
    else:
        layer.scale.assign(rng.uniform(0.5, 1.5, channels).astype("f"))
        layer.offset.assign(rng.standard_normal(channels).astype("f"))
    return layer


def _data(batch=8, channels=5, cond_dim=6, seed=1):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((batch, 4, 4, channels)) * 2 + 1).astype("f")
    c = rng.standard_normal((batch, cond_dim)).astype("f")
    return x, c


def test_conditional_training_matches_numpy_and_gain_is_one_centred():
    layer = _make()
    x, c = _data()
    # Projections as the layer computes them in inference, before training calls.
    wg = _np_sn(layer.scale.kernel.numpy(), layer.scale.sn_u.numpy())
    wb = _np_sn(layer.offset.kernel.numpy(), layer.offset.sn_u.numpy())
    out = layer(x, c, training=False, truncation=None).numpy()
    expected = _np_bn(x, 0.0, 1.0, (1 + c @ wg)[:, None, None], (c @ wb)[:, None, None])
    np.testing.assert_allclose(out, expected, atol=1e-4)

    out = layer(x, np.zeros_like(c), training=True).numpy()
    mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
    np.testing.assert_allclose(out, _np_bn(x, mean, var, 1.0, 0.0), atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * var, atol=1e-5)


def test_zero_projection_weights_give_plain_batch_norm():
    layer = _make()
    layer.scale.kernel.assign(tf.zeros_like(layer.scale.kernel))
    layer.offset.kernel.assign(tf.zeros_like(layer.offset.kernel))
    x, c = _data()
    out = layer(x, c, training=True).numpy()
    expected = _np_bn(x, x.mean((0, 1, 2)), x.var((0, 1, 2)), 1.0, 0.0)
    np.testing.assert_allclose(out, expected, atol=1e-4)


def test_unconditional_mode_matches_numpy():
    layer = _make(conditional=False)
    x, _ = _data()
    out = layer(x, training=True).numpy()
    expected = _np_bn(x, x.mean((0, 1, 2)), x.var((0, 1, 2)),
                      layer.scale.numpy(), layer.offset.numpy())
    np.testing.assert_allclose(out, expected, atol=1e-4)
    infer = layer(x, training=False).numpy()
    expected = _np_bn(x, layer.moving_mean.numpy(), layer.moving_variance.numpy(),
                      layer.scale.numpy(), layer.offset.numpy())
    np.testing.assert_allclose(infer, expected, atol=1e-4)


def test_conditional_layer_requires_condition():
    layer = _make()
    x, _ = _data()
    with pytest.raises(ValueError, match="is conditional: call it with condition"):
        layer(x, training=True)


def _run_split(strategy, layer, x, c):
    halves = len(x) // 2
    dist = strategy.experimental_distribute_values_from_function(
        lambda ctx: tuple(t[ctx.replica_id_in_sync_group * halves:
                            (ctx.replica_id_in_sync_group + 1) * halves] for t in (x, c)))

    @tf.function
    def step(inputs):
        return strategy.run(lambda xc: layer(xc[0], xc[1], training=True), (inputs,))

    out = step(dist)
    return np.concatenate([t.numpy() for t in strategy.experimental_local_results(out)])


def test_two_replicas_equal_one_device_on_the_whole_batch(two_cpu_strategy):
    strategy = two_cpu_strategy
    x, c = _data(batch=8, seed=3)
    x[:4] += 3.0  # replica halves with very different moments
    single = _make(seed=7)
    with strategy.scope():
        mirrored = ConditionalBatchNorm()
        mirrored(x[:1], c[:1])  # creates every variable, projections included
    mirrored.set_weights(single.get_weights())
    for _ in range(2):
        want = single(x, c, training=True).numpy()
        got = _run_split(strategy, mirrored, x, c)
        np.testing.assert_allclose(got, want, atol=1e-5)
    for name in ("moving_mean", "moving_variance"):
        values = [v.numpy() for v in getattr(mirrored, name).value.values]
        np.testing.assert_array_equal(values[0], values[1])
        np.testing.assert_allclose(values[0], getattr(single, name).numpy(), atol=1e-5)
    # Per-replica moments would have normalised each half on its own.
    local = np.concatenate([_np_bn(h, h.mean((0, 1, 2)), h.var((0, 1, 2)), 1, 0)
                            for h in (x[:4], x[4:])])
    assert np.max(np.abs(local - _np_bn(x, x.mean((0, 1, 2)), x.var((0, 1, 2)), 1, 0))) > 0.1


def _layer_with_standing(channels=3, seed=0):
    rng = np.random.default_rng(seed)
    layer = StandingBatchNorm()
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
    layer = StandingBatchNorm()
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
    layer = StandingBatchNorm()
    layer.build((None, 4))
    layer.reset_accumulators()
    with pytest.raises(RuntimeError, match="no batches"):
        layer.commit_standing(0)


def test_standing_batch_norm_passes_the_layer_test():
    # Moving mean and variance (2 x 5), the 51 standing rows of each, and
    # their accumulators (mean, variance: 2 x 5, and one count).
    run_layer_test(StandingBatchNorm, {"epsilon": 1e-3, "momentum": 0.5}, [(2, 4, 4, 5)],
                   (2, 4, 4, 5), {"training": True}, expected_trainable=10,
                   expected_non_trainable=2 * 5 + 2 * 51 * 5 + 2 * 5 + 1)


def test_conditional_batch_norm_passes_the_layer_test():
    # As above with 11 standing rows, plus the u vectors of the spectrally
    # normalised gain and bias projections (5 each).
    run_layer_test(ConditionalBatchNorm, {"num_standing": 11}, [(2, 4, 4, 5), (2, 6)],
                   (2, 4, 4, 5), {"training": True}, expected_trainable=2 * 6 * 5,
                   expected_non_trainable=2 * 5 + 2 * 11 * 5 + 2 * 5 + 1 + 2 * 5)


def test_virtual_batch_norm_uses_the_reference_and_each_example_alone():
    # Salimans et al. 2016: x is normalised with the moments of the reference
    # batch together with x; the reference with its own moments.
    layer = _make(conditional=False, channels=3)
    rng = np.random.default_rng(9)
    ref = (rng.standard_normal((4, 4, 4, 3)) * 2 + 1).astype("f")
    x = (rng.standard_normal((3, 4, 4, 3)) - 2).astype("f")
    layer.virtual_reference = 4
    out = layer(np.concatenate([ref, x]), training=True).numpy()
    scale, offset = layer.scale.numpy(), layer.offset.numpy()
    np.testing.assert_allclose(out[:4], _np_bn(ref, ref.mean((0, 1, 2)), ref.var((0, 1, 2)),
                                               scale, offset), atol=1e-4)
    for i in range(3):
        both = np.concatenate([ref, x[i:i + 1]])
        want = _np_bn(x[i], both.mean((0, 1, 2)), both.var((0, 1, 2)), scale, offset)
        np.testing.assert_allclose(out[4 + i], want, atol=1e-4)
    # An example's output does not depend on the others in its minibatch.
    alone = layer(np.concatenate([ref, x[:1]]), training=True).numpy()
    np.testing.assert_allclose(alone[4], out[4], atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(),
                               (1 - 0.9 ** 2) * ref.mean((0, 1, 2)), atol=1e-5)
