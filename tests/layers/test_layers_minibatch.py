"""Minibatch discrimination against the paper's formula in numpy."""
import numpy as np

from layer_test_helper import run_layer_test
from tfbiggan.layers import MinibatchDiscrimination


def test_minibatch_discrimination_matches_numpy():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((5, 6)).astype("f")
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    out = layer(f).numpy()
    m = (f @ layer.kernel.numpy()).reshape(5, 4, 3)
    # c_b(i, j) = exp(-||M_ib - M_jb||_1); o(x_i)_b = sum over all j (j = i too).
    c = np.exp(-np.abs(m[:, None] - m[None, :]).sum(-1))
    np.testing.assert_allclose(out[:, :6], f)
    np.testing.assert_allclose(out[:, 6:], c.sum(1), rtol=1e-5)
    # Identical examples are maximally close: every o = n.
    same = layer(np.repeat(f[:1], 5, axis=0)).numpy()[:, 6:]
    np.testing.assert_allclose(same, 5.0, rtol=1e-6)


def test_minibatch_discrimination_passes_the_layer_test():
    run_layer_test(MinibatchDiscrimination, {"num_kernels": 4, "kernel_dim": 3}, [(5, 6)],
                   (5, 10), expected_trainable=6 * 12, expected_non_trainable=0)
