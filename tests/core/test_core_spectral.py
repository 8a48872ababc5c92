"""Singular values by block power iteration, and BigGAN's sigma_0 controls,
against numpy's SVD."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.regularizers import clamp_top_singular_value, sigma_regularization
from tfbiggan.singular_values import top_singular_triplets, top_singular_values


def _with_spectrum(rng, rows, cols, top):
    """A [rows, cols] matrix whose singular values start with ``top``, the
    rest uniform in [0, 0.9 * top[-1]]."""
    n = min(rows, cols)
    sigma = np.concatenate([top, rng.uniform(0, 0.9 * top[-1], n - len(top))])
    u, _ = np.linalg.qr(rng.standard_normal((rows, n)))
    v, _ = np.linalg.qr(rng.standard_normal((cols, n)))
    return (u * sigma) @ v.T


@pytest.mark.parametrize("shape", [(64, 48), (30, 80), (3, 3, 16, 24)])
def test_top_three_singular_values_match_numpy(shape):
    rng = np.random.default_rng(0)
    matrix = _with_spectrum(rng, int(np.prod(shape[:-1])), shape[-1], [3.0, 2.2, 1.7])
    weight = matrix.reshape(shape).astype(np.float32)
    want = np.linalg.svd(matrix, compute_uv=False)[:3]
    np.testing.assert_allclose(top_singular_values(weight, 3).numpy(), want, rtol=1e-3)


def test_top_three_of_a_random_gaussian_kernel():
    # No designed gap: the values of a Gaussian kernel crowd near the top.
    w = np.random.default_rng(1).standard_normal((3, 3, 32, 32)).astype(np.float32)
    want = np.linalg.svd(w.reshape(-1, 32), compute_uv=False)[:3]
    np.testing.assert_allclose(top_singular_values(w, 3, iterations=200).numpy(), want,
                               rtol=1e-3)


def test_sigma_regularization_value_and_gradient():
    rng = np.random.default_rng(2)
    matrix = _with_spectrum(rng, 20, 12, [4.0, 2.0]).astype(np.float32)
    u, s, vt = np.linalg.svd(matrix)
    w = tf.Variable(matrix)
    with tf.GradientTape() as tape:
        fixed = sigma_regularization([w], fixed=1.5)
    np.testing.assert_allclose(float(fixed), (s[0] - 1.5) ** 2, rtol=1e-4)
    # d(sigma_0 - t)^2 / dW = 2 (sigma_0 - t) u0 v0^T.
    want = 2 * (s[0] - 1.5) * np.outer(u[:, 0], vt[0])
    np.testing.assert_allclose(tape.gradient(fixed, w).numpy(), want, atol=1e-4)
    with tf.GradientTape() as tape:
        ratio = sigma_regularization([w], ratio=1.5)
    np.testing.assert_allclose(float(ratio), (s[0] - 1.5 * s[1]) ** 2, rtol=1e-4)
    # sg(sigma_1): no gradient reaches the second direction.
    np.testing.assert_allclose(tape.gradient(ratio, w).numpy(),
                               2 * (s[0] - 1.5 * s[1]) * np.outer(u[:, 0], vt[0]), atol=1e-4)
    with pytest.raises(ValueError, match="exactly one"):
        sigma_regularization([w])


def test_clamp_lowers_only_the_top_singular_value():
    rng = np.random.default_rng(3)
    kernel = _with_spectrum(rng, 3 * 3 * 4, 6, [5.0, 2.0]).reshape(3, 3, 4, 6).astype("f")
    before = np.linalg.svd(kernel.reshape(-1, 6), compute_uv=False)
    clamped, excess = clamp_top_singular_value(kernel, fixed=3.0)
    assert clamped.shape == kernel.shape
    after = np.linalg.svd(clamped.numpy().reshape(-1, 6), compute_uv=False)
    np.testing.assert_allclose(float(excess), before[0] - 3.0, rtol=1e-4)
    np.testing.assert_allclose(after, np.sort(np.r_[3.0, before[1:]])[::-1], rtol=1e-4,
                               atol=1e-5)
    # Below the clamp nothing changes; a ratio clamp uses r * sigma_1.
    same, none = clamp_top_singular_value(kernel, fixed=9.0)
    assert float(none) == 0.0 and np.array_equal(same.numpy(), kernel)
    _, excess = clamp_top_singular_value(kernel, ratio=2.0)
    np.testing.assert_allclose(float(excess), before[0] - 2.0 * before[1], rtol=1e-4)


def test_triplets_reconstruct_the_top_of_the_matrix():
    rng = np.random.default_rng(4)
    matrix = _with_spectrum(rng, 16, 10, [3.0, 2.0, 1.5]).astype(np.float32)
    sigma, left, right = top_singular_triplets(matrix, 3)
    u, s, vt = np.linalg.svd(matrix)
    top = (u[:, :3] * s[:3]) @ vt[:3]
    np.testing.assert_allclose((left.numpy() * sigma.numpy()) @ right.numpy().T, top,
                               atol=1e-4)
