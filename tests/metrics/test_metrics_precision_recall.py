"""Improved precision/recall against brute-force k-NN on full distance matrices."""
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from tfbiggan.metrics import precision_recall_from_activations


def brute_force_pr(real, fake, k):
    def radii(x):
        d = cdist(x, x)
        return np.sort(d, axis=1)[:, k]          # column 0 is the sample itself
    cross = cdist(fake, real)                    # [n_fake, n_real]
    precision = np.mean(np.any(cross <= radii(real)[None, :], axis=1))
    recall = np.mean(np.any(cross.T <= radii(fake)[None, :], axis=1))
    return precision, recall


@pytest.mark.parametrize("k,batch_size", [(3, 1024), (3, 7), (1, 13), (5, 1)])
def test_matches_brute_force(k, batch_size):
    rng = np.random.default_rng(k)
    real = rng.normal(size=(120, 4))
    fake = rng.normal(size=(90, 4)) * 0.6 + 1.2
    expected = brute_force_pr(real, fake, k)
    assert 0.05 < expected[0] < 0.99 and 0.05 < expected[1] < 0.99
    got = precision_recall_from_activations(real, fake, k=k, batch_size=batch_size)
    assert got == pytest.approx(expected, abs=1e-12)


def test_identical_sets_give_one():
    acts = np.random.default_rng(0).normal(size=(80, 16))
    assert precision_recall_from_activations(acts, acts) == (1.0, 1.0)


def test_disjoint_sets_give_zero():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(50, 3))
    assert precision_recall_from_activations(real, real + 100.0) == (0.0, 0.0)


def test_collapsed_fakes_have_precision_but_no_recall():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(300, 2))
    fake = rng.normal(size=(300, 2)) * 0.05      # all fakes near the real mode
    precision, recall = precision_recall_from_activations(real, fake)
    assert precision > 0.95
    assert recall < 0.3


def test_validation_messages():
    a = np.random.default_rng(3).normal(size=(10, 4))
    with pytest.raises(ValueError, match=r"`fake` has 3 samples but at least 4.*k=3"):
        precision_recall_from_activations(a, a[:3])
    with pytest.raises(ValueError, match=r"`real` has 4 features.*`fake` has 2"):
        precision_recall_from_activations(a, a[:, :2])
    with pytest.raises(ValueError, match=r"`k` must be >= 1"):
        precision_recall_from_activations(a, a, k=0)
    with pytest.raises(ValueError, match=r"`batch_size` must be an integer"):
        precision_recall_from_activations(a, a, batch_size=2.5)
