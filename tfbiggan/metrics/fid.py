"""Fréchet Inception Distance (FID) on precomputed activations.

FID(real, fake) = ||mu_r - mu_f||^2 + tr(S_r) + tr(S_f) - 2 tr(sqrt(S_r S_f)),
with Gaussians fitted to feature activations (Inception-v3 pool3, 2048-d, by
convention). Everything is computed in float64 with the unbiased (ddof=1)
covariance, as TF-GAN does.

tr(sqrt(S_r S_f)) is never computed with a general (non-symmetric) matrix
square root. With A = sqrt(S_r) (symmetric), S_r S_f is similar to A S_f A,
which is symmetric PSD, so tr(sqrt(S_r S_f)) = sum(sqrt(eig(A S_f A))).
When activations are available and there are fewer samples than features the
same trace is the nuclear norm of the small [N_r, N_f] cross-Gram matrix, which
is much cheaper (this is what makes per-class FID over 2048-d features fast).
"""
import numpy as np

from tfbiggan.metrics._validation import as_matrix, check_same_width


def gaussian_stats(acts):
    """Mean and unbiased covariance of activations.

    Args:
      acts: array [N, D], N >= 2.

    Returns:
      (mu [D] float64, sigma [D, D] float64), sigma computed with ddof=1.
    """
    acts = as_matrix(acts, "acts", min_rows=2,
                     why="The unbiased covariance divides by N - 1.")
    return acts.mean(axis=0), np.cov(acts, rowvar=False, ddof=1).reshape(
        acts.shape[1], acts.shape[1])


def _psd_eigvals(mat):
    """Eigenvalues of a symmetric PSD matrix, with rounding noise set to 0.

    Eigenvalues below the usual numerical-rank tolerance (max|w| * n * eps) are
    noise of a rank-deficient matrix (e.g. a covariance from fewer samples than
    features); taking their square root would add sqrt(noise) per dimension.
    """
    w = np.linalg.eigvalsh((mat + mat.T) / 2.0)
    tol = np.max(np.abs(w), initial=0.0) * mat.shape[0] * np.finfo(np.float64).eps
    return np.where(w > tol, w, 0.0)


def symmetric_sqrt(mat):
    """Symmetric PSD square root of a symmetric PSD matrix [D, D] (via eigh)."""
    mat = (mat + mat.T) / 2.0
    w, v = np.linalg.eigh(mat)
    tol = np.max(np.abs(w), initial=0.0) * mat.shape[0] * np.finfo(np.float64).eps
    w = np.where(w > tol, w, 0.0)
    return (v * np.sqrt(w)) @ v.T


def trace_sqrt_product(sigma1, sigma2):
    """tr(sqrt(sigma1 @ sigma2)) for symmetric PSD [D, D] matrices, float64."""
    root1 = symmetric_sqrt(sigma1)
    return float(np.sum(np.sqrt(_psd_eigvals(root1 @ sigma2 @ root1))))


def _check_stats(mu, sigma, mu_name, sigma_name):
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if mu.ndim != 1:
        raise ValueError(
            f"`{mu_name}` must be a 1-D mean vector [D], got shape {mu.shape}.")
    if sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(
            f"`{sigma_name}` must be a [D, D] covariance matching `{mu_name}` "
            f"(D={mu.shape[0]}), got shape {sigma.shape}.")
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise ValueError(f"`{mu_name}`/`{sigma_name}` contain NaN or inf.")
    return mu, sigma


def fid_from_stats(mu1, sigma1, mu2, sigma2):
    """FID between two Gaussians given their means [D] and covariances [D, D].

    Returns:
      float >= 0 (rounding-level negatives are clamped to 0).
    """
    mu1, sigma1 = _check_stats(mu1, sigma1, "mu1", "sigma1")
    mu2, sigma2 = _check_stats(mu2, sigma2, "mu2", "sigma2")
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"`mu1` has {mu1.shape[0]} features but `mu2` has {mu2.shape[0]}. "
            "Both statistics must come from the same feature extractor and layer.")
    mean_term = float(np.sum((mu1 - mu2) ** 2))
    cov_term = (np.trace(sigma1) + np.trace(sigma2)
                - 2.0 * trace_sqrt_product(sigma1, sigma2))
    return max(mean_term + float(cov_term), 0.0)


def fid_from_activations(real, fake):
    """FID between two sets of activations.

    Args:
      real: array [N_r, D], N_r >= 2 (any float dtype; computed in float64).
      fake: array [N_f, D], N_f >= 2.

    Returns:
      float >= 0. Identical sets give 0 up to rounding (about 1e-9 relative).
    """
    why = "The unbiased covariance divides by N - 1."
    real = as_matrix(real, "real", min_rows=2, why=why)
    fake = as_matrix(fake, "fake", min_rows=2, why=why)
    check_same_width(real, fake, "real", "fake")
    n_r, n_f, d = real.shape[0], fake.shape[0], real.shape[1]
    mu_r, mu_f = real.mean(axis=0), fake.mean(axis=0)
    # Pick the cheaper exact route: eig of two [D, D] matrices, or an SVD of
    # the [N_r, N_f] cross-Gram matrix (cost ~ N_r * N_f * min(N_r, N_f)).
    if n_r * n_f * min(n_r, n_f) >= 2 * d ** 3:
        return fid_from_stats(mu_r, np.cov(real, rowvar=False, ddof=1),
                              mu_f, np.cov(fake, rowvar=False, ddof=1))
    xr = (real - mu_r) / np.sqrt(n_r - 1)
    xf = (fake - mu_f) / np.sqrt(n_f - 1)
    # With S_r = xr^T xr and S_f = xf^T xf, the non-zero eigenvalues of S_r S_f
    # are the squared singular values of xr xf^T.
    trace_sqrt = float(np.sum(np.linalg.svd(xr @ xf.T, compute_uv=False)))
    fid = (float(np.sum((mu_r - mu_f) ** 2)) + float(np.sum(xr * xr))
           + float(np.sum(xf * xf)) - 2.0 * trace_sqrt)
    return max(fid, 0.0)
