"""Gradient penalties (WGAN-GP, R1) against per-example gradients in numpy."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.penalties import (DRIFT_EPSILON, drift_penalty, gradient_penalty,
                                interpolates, r1_penalty)

A = np.random.default_rng(0).standard_normal((4, 4, 3)).astype(np.float32)


def _critic(images):
    """D(x) = sum(a * x^2): per-example gradient 2 a x."""
    return tf.reduce_sum(A * tf.square(images), axis=[1, 2, 3])


def test_gradient_penalty_matches_numpy_per_example_norms():
    rng = np.random.default_rng(1)
    real, fake = (rng.standard_normal((5, 4, 4, 3)).astype(np.float32) for _ in range(2))
    eps = rng.uniform(size=5).astype(np.float32)
    x_hat = eps[:, None, None, None] * real + (1 - eps[:, None, None, None]) * fake
    np.testing.assert_allclose(interpolates(real, fake, eps).numpy(), x_hat, rtol=1e-6)
    norms = np.sqrt(((2 * A * x_hat) ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(float(gradient_penalty(_critic, real, fake, eps)),
                               np.mean((norms - 1) ** 2), rtol=1e-5)
    # Per example: the mean of squares, not the square of a batch norm.
    assert abs(np.mean((norms - 1) ** 2) - (np.linalg.norm(2 * A * x_hat) - 1) ** 2) > 1


def test_r1_penalty_matches_numpy_and_has_gradients():
    real = np.random.default_rng(2).standard_normal((3, 4, 4, 3)).astype(np.float32)
    want = 0.5 * np.mean(((2 * A * real) ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(float(r1_penalty(_critic, real)), want, rtol=1e-5)
    # The penalty is differentiable in the critic's weights (double backprop).
    w = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        value = r1_penalty(lambda x: w * _critic(x), real)
    np.testing.assert_allclose(float(tape.gradient(value, w)), 2 * 2.0 * want, rtol=1e-5)


def test_drift_penalty_is_the_mean_square_real_logit():
    logits = np.array([0.5, -2.0, 3.0], np.float32)
    assert float(drift_penalty(logits)) == pytest.approx((0.25 + 4 + 9) / 3)
    assert DRIFT_EPSILON == 0.001
