"""Kernel Inception Distance (KID) on precomputed activations.

KID (Bińkowski et al. 2018) is the unbiased estimate of the squared MMD with
the cubic polynomial kernel k(x, y) = (x.y / D + 1)^3. Following TF-GAN, both
sets are cut into the same number of contiguous blocks,
n_blocks = ceil(max(N_r, N_f) / max_block_size), with sizes differing by at
most one; the unbiased MMD^2 is computed per block pair and averaged.
"""
import math

import numpy as np

from tfbiggan.metrics._validation import (as_matrix, check_positive_int,
                                          check_same_width)


def _block_bounds(n, n_blocks):
    """Start/end offsets: the first blocks get n // n_blocks rows, the last
    (n % n_blocks) blocks one more, as TF-GAN splits them."""
    base, extra = divmod(n, n_blocks)
    sizes = [base] * (n_blocks - extra) + [base + 1] * extra
    return np.concatenate([[0], np.cumsum(sizes)]).astype(int)


def _mmd2_unbiased(r, g):
    d = r.shape[1]
    m, n = r.shape[0], g.shape[0]
    k_rr = (r @ r.T / d + 1.0) ** 3
    k_gg = (g @ g.T / d + 1.0) ** 3
    k_rg = (r @ g.T / d + 1.0) ** 3
    # Off-diagonal means: the diagonal k(x, x) terms bias the estimate.
    return ((k_rr.sum() - np.trace(k_rr)) / (m * (m - 1))
            + (k_gg.sum() - np.trace(k_gg)) / (n * (n - 1))
            - 2.0 * k_rg.mean())


def kid_from_activations(real, fake, max_block_size=1024):
    """KID mean and its standard error over blocks.

    Args:
      real: array [N_r, D] (computed in float64).
      fake: array [N_f, D].
      max_block_size: the largest block; every block of both sets must still
        hold at least 2 samples.

    Returns:
      (mean, std): mean of the per-block unbiased MMD^2 estimates (can be
      slightly negative when the distributions match), and TF-GAN's standard
      error of that mean, sqrt(var_ddof1(blocks) / n_blocks). std is NaN when
      there is a single block (no spread can be estimated).
    """
    max_block_size = check_positive_int(max_block_size, "max_block_size", 2)
    why = "The unbiased MMD^2 estimate needs two samples per set."
    real = as_matrix(real, "real", min_rows=2, why=why)
    fake = as_matrix(fake, "fake", min_rows=2, why=why)
    check_same_width(real, fake, "real", "fake")
    n_blocks = math.ceil(max(len(real), len(fake)) / max_block_size)
    smallest = min(len(real), len(fake)) // n_blocks
    if smallest < 2:
        raise ValueError(
            f"With max_block_size={max_block_size} the sets are cut into "
            f"{n_blocks} blocks, leaving blocks of {smallest} sample(s) for the "
            f"smaller set (real: {len(real)}, fake: {len(fake)}); each block "
            "needs >= 2. Raise `max_block_size` or balance the set sizes.")
    bounds_r = _block_bounds(len(real), n_blocks)
    bounds_f = _block_bounds(len(fake), n_blocks)
    estimates = np.array([
        _mmd2_unbiased(real[bounds_r[i]:bounds_r[i + 1]],
                       fake[bounds_f[i]:bounds_f[i + 1]])
        for i in range(n_blocks)])
    mean = float(estimates.mean())
    if n_blocks == 1:
        return mean, float("nan")
    return mean, float(np.sqrt(estimates.var(ddof=1) / n_blocks))
