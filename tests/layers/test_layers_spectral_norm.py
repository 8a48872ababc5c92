"""Spectral norm: sigma estimate, gradients through sigma, u updates, replicas."""
import numpy as np
import pytest
import tensorflow as tf

from layer_test_helper import run_layer_test
from tfbiggan.layers import (Conv2D, Dense, SNConv2D, SNDense, conv2d, dense, power_iteration,
                             top_singular_values)


def _spread_matrix(rng, rows, cols, top=3.0):
    """A random [rows, cols] float64 matrix with well separated singular values."""
    a, _ = np.linalg.qr(rng.standard_normal((rows, rows)))
    b, _ = np.linalg.qr(rng.standard_normal((cols, cols)))
    k = min(rows, cols)
    s = top * 0.6 ** np.arange(k)
    return a[:, :k] @ np.diag(s) @ b[:k, :]


def _np_sigma(kernel):
    kernel = np.asarray(kernel, np.float64)
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


def _dense(rng, fan_in=13, units=7, **kwargs):
    layer = SNDense(units, **kwargs)
    layer.build((None, fan_in))
    layer.kernel.assign(_spread_matrix(rng, fan_in, units).astype(np.float32))
    return layer


def test_sigma_matches_numpy_dense_with_many_power_iterations():
    rng = np.random.default_rng(0)
    layer = _dense(rng, power_iterations=50)
    layer(tf.zeros([1, 13]), training=True)
    expected = _np_sigma(layer.kernel.numpy())
    assert abs(float(layer.sigma()) - expected) < 1e-3
    normalised = layer.normalized_kernel(training=False).numpy()
    assert abs(_np_sigma(normalised) - 1.0) < 1e-3


def test_sigma_matches_numpy_conv_after_repeated_training_calls():
    rng = np.random.default_rng(1)
    layer = SNConv2D(5, 3)
    layer.build((None, 6, 6, 4))
    layer.kernel.assign(_spread_matrix(rng, 36, 5).reshape(3, 3, 4, 5).astype(np.float32))
    x = tf.zeros([1, 6, 6, 4])
    for _ in range(60):
        layer(x, training=True)
    assert abs(float(layer.sigma()) - _np_sigma(layer.kernel.numpy())) < 1e-3


def test_power_iteration_function_and_top_singular_values_match_numpy():
    rng = np.random.default_rng(2)
    w = _spread_matrix(rng, 20, 8)
    sigma, u = power_iteration(tf.constant(w, tf.float32),
                               tf.constant(rng.standard_normal(8), tf.float32), 100, 1e-12)
    assert abs(float(sigma) - np.linalg.svd(w, compute_uv=False)[0]) < 1e-4
    assert u.shape == (8,)
    conv = rng.standard_normal((3, 3, 4, 6))
    expected = np.linalg.svd(conv.reshape(36, 6), compute_uv=False)[:2]
    np.testing.assert_allclose(top_singular_values(conv, k=2).numpy(), expected, rtol=1e-4)


def test_u_is_updated_in_training_only():
    rng = np.random.default_rng(3)
    layer = _dense(rng)
    x = tf.constant(rng.standard_normal((4, 13)), tf.float32)
    u0 = layer.sn_u.numpy().copy()
    layer(x, training=False)
    layer(x)
    np.testing.assert_array_equal(layer.sn_u.numpy(), u0)
    layer(x, training=True)
    assert not np.allclose(layer.sn_u.numpy(), u0)
    assert abs(np.linalg.norm(layer.sn_u.numpy()) - 1.0) < 1e-5


def _converged(rng):
    layer = _dense(rng, fan_in=6, units=4, use_bias=False, power_iterations=200)
    layer(tf.zeros([1, 6]), training=True)
    return layer


def test_gradient_flows_through_sigma_and_matches_analytic_and_finite_differences():
    rng = np.random.default_rng(4)
    layer = _converged(rng)
    x = rng.standard_normal((5, 6))
    r = rng.standard_normal((5, 4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tf.constant(x, tf.float32)) * r)
    grad = tape.gradient(loss, layer.kernel.value).numpy()

    w = layer.kernel.numpy().astype(np.float64)

    def np_loss(w):
        return np.sum((x @ w) * r) / np.linalg.svd(w, compute_uv=False)[0]

    # Analytic: d sigma / dW = a b^T (top singular vectors).
    left, s, right = np.linalg.svd(w)
    sigma, a, b = s[0], left[:, 0], right[0]
    xr = x.T @ r
    analytic = xr / sigma - np.sum(xr * w) / sigma ** 2 * np.outer(a, b)
    held_constant = xr / sigma
    numeric = np.zeros_like(w)
    eps = 1e-6
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            d = np.zeros_like(w)
            d[i, j] = eps
            numeric[i, j] = (np_loss(w + d) - np_loss(w - d)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, atol=1e-6)
    np.testing.assert_allclose(grad, analytic, atol=2e-4)
    assert np.max(np.abs(held_constant - analytic)) > 100 * 2e-4


def test_gradient_matches_float32_finite_differences_of_the_layer():
    rng = np.random.default_rng(5)
    layer = _converged(rng)
    x = tf.constant(rng.standard_normal((5, 6)), tf.float32)
    r = tf.constant(rng.standard_normal((5, 4)), tf.float32)

    def loss():
        return float(tf.reduce_sum(layer(x) * r))

    with tf.GradientTape() as tape:
        value = tf.reduce_sum(layer(x) * r)
    grad = tape.gradient(value, layer.kernel.value).numpy()
    w0 = layer.kernel.numpy()
    eps = 1e-2
    for i, j in [(0, 0), (3, 2), (5, 3)]:
        w = w0.copy()
        w[i, j] += eps
        layer.kernel.assign(w)
        up = loss()
        w[i, j] -= 2 * eps
        layer.kernel.assign(w)
        down = loss()
        layer.kernel.assign(w0)
        assert abs((up - down) / (2 * eps) - grad[i, j]) < 2e-2 * max(1.0, abs(grad[i, j]))


def test_zero_kernel_gives_zero_output_not_nan():
    layer = SNDense(3, use_bias=False)
    layer.build((None, 4))
    layer.kernel.assign(tf.zeros([4, 3]))
    out = layer(tf.ones([2, 4]), training=True).numpy()
    np.testing.assert_array_equal(out, np.zeros((2, 3)))


def test_u_identical_on_both_replicas_after_a_training_step(two_cpu_strategy):
    strategy = two_cpu_strategy
    rng = np.random.default_rng(6)
    kernel = _spread_matrix(rng, 8, 5).astype(np.float32)
    with strategy.scope():
        dense = SNDense(5)
        dense.build((None, 8))
        dense.kernel.assign(kernel)
        conv = SNConv2D(8, 3)
        conv.build((None, 4, 4, 8))
    u_before = dense.sn_u.numpy().copy()
    x = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.random.normal([2, 4, 4, 8], seed=ctx.replica_id_in_sync_group))

    @tf.function
    def step(x):
        def replica(x):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(dense(conv(x, training=True), training=True))
            return tape.gradient(loss, dense.kernel.value)
        return strategy.run(replica, (x,))

    step(x)
    for layer in (dense, conv):
        values = [v.numpy() for v in layer.sn_u.value.values]
        assert len(values) == 2
        np.testing.assert_array_equal(values[0], values[1])
    assert not np.allclose(dense.sn_u.numpy(), u_before)


def test_sn_dense_passes_the_layer_test():
    # u: one vector of the output width.
    run_layer_test(SNDense, {"units": 3}, [(2, 4)], (2, 3), {"training": True},
                   expected_trainable=4 * 3 + 3, expected_non_trainable=3)


@pytest.mark.parametrize("upsample", [False, True])
def test_sn_conv2d_passes_the_layer_test(upsample):
    side = 8 if upsample else 4
    run_layer_test(SNConv2D, {"filters": 6, "kernel_size": 3}, [(2, 4, 4, 5)],
                   (2, side, side, 6), {"training": True, "upsample": upsample},
                   expected_trainable=3 * 3 * 5 * 6 + 6, expected_non_trainable=6)


def test_the_factories_choose_the_layer_by_spectral_norm():
    """``dense`` / ``conv2d`` give the spectral-norm layer or the plain one; the
    plain one has no u and uses its kernel as is."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4)).astype("f")
    plain = dense(3, spectral_norm=False, power_iterations=2)
    assert type(plain) is Dense and type(dense(3)) is SNDense
    out = plain(x, training=True).numpy()
    np.testing.assert_allclose(out, x @ plain.kernel.numpy() + plain.bias.numpy(), atol=1e-5)
    assert not hasattr(plain, "sn_u") and len(plain.weights) == 2
    conv = conv2d(4, 3, spectral_norm=False)
    assert type(conv) is Conv2D and type(conv2d(4, 3)) is SNConv2D
    conv(np.zeros((1, 5, 5, 2), "f"))
    assert "power_iterations" not in conv.get_config()
    np.testing.assert_array_equal(conv.call_kernel().numpy(), conv.kernel.numpy())


@pytest.mark.parametrize("layer_cls, kwargs, shape, out_shape, trainable", [
    (Dense, {"units": 3}, (2, 4), (2, 3), 4 * 3 + 3),
    (Conv2D, {"filters": 6, "kernel_size": 3}, (2, 4, 4, 5), (2, 4, 4, 6), 3 * 3 * 5 * 6 + 6),
])
def test_plain_layers_pass_the_layer_test(layer_cls, kwargs, shape, out_shape, trainable):
    run_layer_test(layer_cls, kwargs, [shape], out_shape, {"training": True},
                   expected_trainable=trainable, expected_non_trainable=0)
