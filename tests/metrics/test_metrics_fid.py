"""FID against an independent scipy reference, plus edge cases and validation."""
import numpy as np
import pytest
import scipy.linalg

from tfbiggan.metrics import fid_from_activations, fid_from_stats, gaussian_stats


def scipy_fid(real, fake):
    """Textbook FID: general matrix square root of the (non-symmetric) product."""
    mu1, mu2 = real.mean(axis=0), fake.mean(axis=0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean))


def correlated(rng, n, d, scale=1.0, shift=0.0):
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return (rng.normal(size=(n, d)) @ mixing) * scale + shift


def test_matches_scipy_sqrtm_reference():
    rng = np.random.default_rng(0)
    real = correlated(rng, 400, 12)
    fake = correlated(rng, 350, 12, scale=1.4, shift=0.3)
    expected = scipy_fid(real, fake)
    assert expected > 1.0
    assert fid_from_activations(real, fake) == pytest.approx(expected, rel=1e-9)
    mu1, s1 = gaussian_stats(real)
    mu2, s2 = gaussian_stats(fake)
    assert fid_from_stats(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)


def test_fewer_samples_than_features_matches_eigenvalue_reference():
    # n < d takes the cross-Gram route; check it against the eigenvalues of the
    # product computed by a general (non-symmetric) eigen-solver.
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(20, 40)), rng.normal(size=(25, 40)) * 1.2 + 0.1
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    eig = scipy.linalg.eigvals(s1 @ s2).real
    expected = (np.sum((real.mean(0) - fake.mean(0)) ** 2) + np.trace(s1) + np.trace(s2)
                - 2 * np.sum(np.sqrt(np.clip(eig, 0, None))))
    assert fid_from_activations(real, fake) == pytest.approx(expected, abs=1e-5)
    assert fid_from_stats(real.mean(0), s1, fake.mean(0), s2) == pytest.approx(
        expected, abs=1e-5)


def test_gaussian_stats_is_mean_and_unbiased_covariance():
    rng = np.random.default_rng(2)
    acts = rng.normal(size=(30, 5)).astype(np.float32)
    mu, sigma = gaussian_stats(acts)
    x = acts.astype(np.float64)
    centred = x - x.mean(0)
    assert mu.dtype == np.float64 and sigma.shape == (5, 5)
    np.testing.assert_allclose(mu, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, centred.T @ centred / 29, rtol=1e-10)


@pytest.mark.parametrize("n,d", [(300, 16), (30, 64)])
def test_identical_sets_give_zero(n, d):
    acts = correlated(np.random.default_rng(3), n, d, scale=5.0, shift=2.0)
    assert abs(fid_from_activations(acts, acts)) < 1e-6
    mu, sigma = gaussian_stats(acts)
    assert abs(fid_from_stats(mu, sigma, mu, sigma)) < 1e-6


def test_shift_with_equal_covariance_is_squared_mean_distance():
    rng = np.random.default_rng(4)
    real = correlated(rng, 200, 10)
    delta = rng.normal(size=10)
    fid = fid_from_activations(real, real + delta)
    assert fid == pytest.approx(np.sum(delta ** 2), rel=1e-8)


def test_float32_input_is_computed_in_float64():
    rng = np.random.default_rng(5)
    real, fake = rng.normal(size=(100, 8)), rng.normal(size=(100, 8)) + 0.2
    r32, f32 = real.astype(np.float32), fake.astype(np.float32)
    assert fid_from_activations(r32, f32) == pytest.approx(
        scipy_fid(r32.astype(np.float64), f32.astype(np.float64)), rel=1e-9)


def test_validation_messages():
    good = np.zeros((10, 4)) + np.arange(10)[:, None]
    with pytest.raises(ValueError, match=r"`real` has 4 features.*`fake` has 3"):
        fid_from_activations(good, good[:, :3])
    with pytest.raises(ValueError, match=r"`real` must be 2-D.*x\[:, None\]"):
        fid_from_activations(np.arange(10.0), good)
    with pytest.raises(ValueError, match=r"reshape"):
        fid_from_activations(good[:, None, None, :], good)
    with pytest.raises(ValueError, match=r"`fake` has 1 samples but at least 2"):
        fid_from_activations(good, good[:1])
    with pytest.raises(ValueError, match=r"NaN"):
        fid_from_activations(good, np.full((10, 4), np.nan))
    with pytest.raises(ValueError, match=r"`acts`.*at least 2"):
        gaussian_stats(good[:1])
    with pytest.raises(ValueError, match=r"`sigma1` must be a \[D, D\]"):
        fid_from_stats(np.zeros(4), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match=r"`mu2` must be a 1-D"):
        fid_from_stats(np.zeros(4), np.eye(4), np.zeros((4, 1)), np.eye(4))
    with pytest.raises(ValueError, match=r"same feature extractor"):
        fid_from_stats(np.zeros(4), np.eye(4), np.zeros(3), np.eye(3))
