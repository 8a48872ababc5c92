"""KID against pairwise-loop and full-matrix references."""
import math

import numpy as np
import pytest

from tfbiggan.metrics import kid_from_activations


def kernel(x, y):
    return (np.dot(x, y) / len(x) + 1.0) ** 3


def loop_mmd2(r, g):
    """Unbiased MMD^2 written as explicit sums over distinct pairs."""
    m, n = len(r), len(g)
    rr = sum(kernel(r[i], r[j]) for i in range(m) for j in range(m) if i != j)
    gg = sum(kernel(g[i], g[j]) for i in range(n) for j in range(n) if i != j)
    rg = sum(kernel(r[i], g[j]) for i in range(m) for j in range(n))
    return rr / (m * (m - 1)) + gg / (n * (n - 1)) - 2 * rg / (m * n)


def matrix_mmd2(r, g):
    d = r.shape[1]
    k_rr, k_gg, k_rg = [(a @ b.T / d + 1) ** 3 for a, b in ((r, r), (g, g), (r, g))]
    np.fill_diagonal(k_rr, 0)
    np.fill_diagonal(k_gg, 0)
    m, n = len(r), len(g)
    return k_rr.sum() / (m * (m - 1)) + k_gg.sum() / (n * (n - 1)) - 2 * k_rg.mean()


def test_single_block_matches_pair_loop():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(25, 5)), rng.normal(size=(18, 5)) + 0.5
    mean, std = kid_from_activations(real, fake)
    assert mean == pytest.approx(loop_mmd2(real, fake), rel=1e-10)
    assert math.isnan(std)            # one block: no spread to estimate


def test_blocks_follow_tfgan_split():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(50, 6)), rng.normal(size=(37, 6)) * 1.3
    n_blocks = 4                       # ceil(max(50, 37) / 16)

    def blocks(x):                     # smaller blocks first, as TF-GAN does
        base, extra = divmod(len(x), n_blocks)
        sizes = [base] * (n_blocks - extra) + [base + 1] * extra
        return np.split(x, np.cumsum(sizes)[:-1])

    ests = np.array([matrix_mmd2(r, g) for r, g in zip(blocks(real), blocks(fake))])
    mean, std = kid_from_activations(real, fake, max_block_size=16)
    assert mean == pytest.approx(ests.mean(), rel=1e-10)
    assert std == pytest.approx(np.sqrt(ests.var(ddof=1) / n_blocks), rel=1e-8)


def test_same_distribution_near_zero_and_shift_positive():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(1000, 8))
    same = rng.normal(size=(1000, 8))
    shifted = rng.normal(size=(1000, 8)) + 0.5
    kid_same, std_same = kid_from_activations(real, same, max_block_size=250)
    kid_shift, std_shift = kid_from_activations(real, shifted, max_block_size=250)
    assert abs(kid_same) < 0.01
    assert abs(kid_same) < 4 * std_same + 1e-3
    assert kid_shift > 0.05
    assert kid_shift > 10 * std_shift


def test_validation_messages():
    a = np.random.default_rng(3).normal(size=(10, 4))
    with pytest.raises(ValueError, match=r"`real` has 4 features.*`fake` has 3"):
        kid_from_activations(a, a[:, :3])
    with pytest.raises(ValueError, match=r"blocks of 1 sample.*Raise `max_block_size`"):
        kid_from_activations(np.tile(a, (10, 1)), a, max_block_size=16)
    with pytest.raises(ValueError, match=r"`max_block_size` must be >= 2"):
        kid_from_activations(a, a, max_block_size=1)
    with pytest.raises(ValueError, match=r"`fake` must be 2-D"):
        kid_from_activations(a, a[0])
