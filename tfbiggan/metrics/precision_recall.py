"""Improved precision and recall (Kynkäänniemi et al. 2019) on activations.

Each set approximates its manifold by the union of balls around its samples,
the radius of a sample's ball being the distance to its k-th nearest neighbour
within the same set (the sample itself excluded). Precision is the fraction of
fake samples inside the real manifold; recall is the fraction of real samples
inside the fake manifold. A point on a ball's boundary counts as inside.

Distances are computed in row blocks, so memory is O(batch_size * N) rather
than O(N^2): 10k x 10k samples of 2048-d features never form a full matrix.
"""
import numpy as np

from tfbiggan.metrics._validation import (as_matrix, check_positive_int,
                                          check_same_width)


def _sq_norms(x):
    return np.einsum("ij,ij->i", x, x)


def _sq_dists(a, a_sq, b, b_sq):
    """Squared Euclidean distances [len(a), len(b)], clamped at 0."""
    d = a_sq[:, None] + b_sq[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0, out=d)


def knn_radii(x, k, batch_size=1024):
    """Squared distance from each row of x [N, D] to its k-th nearest other row.

    Returns:
      array [N] float64 of squared radii.
    """
    x_sq = _sq_norms(x)
    radii = np.empty(len(x))
    for start in range(0, len(x), batch_size):
        stop = min(start + batch_size, len(x))
        d = _sq_dists(x[start:stop], x_sq[start:stop], x, x_sq)
        d[np.arange(stop - start), np.arange(start, stop)] = np.inf  # not self
        radii[start:stop] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return radii


def precision_recall_from_activations(real, fake, k=3, batch_size=1024):
    """Improved precision and recall of `fake` against `real`.

    Args:
      real: array [N_r, D], N_r > k (computed in float64).
      fake: array [N_f, D], N_f > k.
      k: neighbourhood size for the manifold radii (3 in the paper).
      batch_size: rows per distance block; peak memory is about
        batch_size * max(N_r, N_f) * 8 bytes times a small constant.

    Returns:
      (precision, recall), floats in [0, 1]. Identical sets give (1, 1).
    """
    k = check_positive_int(k, "k")
    batch_size = check_positive_int(batch_size, "batch_size")
    why = f"Each sample needs k={k} other samples to define its k-NN radius."
    real = as_matrix(real, "real", min_rows=k + 1, why=why)
    fake = as_matrix(fake, "fake", min_rows=k + 1, why=why)
    check_same_width(real, fake, "real", "fake")

    radii_real = knn_radii(real, k, batch_size)
    radii_fake = knn_radii(fake, k, batch_size)
    real_sq, fake_sq = _sq_norms(real), _sq_norms(fake)
    fake_in_real = np.zeros(len(fake), dtype=bool)
    real_in_fake = np.zeros(len(real), dtype=bool)
    # One pass over the fake-to-real distances serves both directions.
    for start in range(0, len(fake), batch_size):
        stop = min(start + batch_size, len(fake))
        d = _sq_dists(fake[start:stop], fake_sq[start:stop], real, real_sq)
        fake_in_real[start:stop] = np.any(d <= radii_real[None, :], axis=1)
        real_in_fake |= np.any(d <= radii_fake[start:stop, None], axis=0)
    return float(fake_in_real.mean()), float(real_in_fake.mean())
