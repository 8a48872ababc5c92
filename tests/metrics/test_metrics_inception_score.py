"""Inception Score against a direct scipy reference, plus edge cases."""
import numpy as np
import pytest
import scipy.special
import scipy.stats

from tfbiggan.metrics import inception_score_from_logits


def reference_is(logits, splits):
    scores = []
    n = len(logits)
    # Contiguous splits with the boundaries of Salimans et al.'s code.
    for part in (logits[i * n // splits:(i + 1) * n // splits] for i in range(splits)):
        p = scipy.special.softmax(part, axis=1)
        p_y = p.mean(axis=0)
        kl = [scipy.stats.entropy(row, p_y) for row in p]   # KL(p(y|x) || p(y))
        scores.append(np.exp(np.mean(kl)))
    return np.mean(scores), np.std(scores)


@pytest.mark.parametrize("n,splits", [(500, 10), (503, 7), (40, 1)])
def test_matches_reference(n, splits):
    logits = np.random.default_rng(0).normal(scale=3.0, size=(n, 12))
    mean, std = inception_score_from_logits(logits, splits=splits)
    ref_mean, ref_std = reference_is(logits, splits)
    assert mean == pytest.approx(ref_mean, rel=1e-10)
    assert std == pytest.approx(ref_std, rel=1e-8, abs=1e-12)
    assert 1.0 <= mean <= 12.0


def test_uniform_logits_score_one():
    mean, std = inception_score_from_logits(np.full((100, 7), 3.2))
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_confident_balanced_predictions_score_num_classes():
    num_classes = 10
    labels = np.arange(1000) % num_classes           # every split is balanced
    logits = 60.0 * np.eye(num_classes)[labels]
    mean, std = inception_score_from_logits(logits, splits=10)
    assert mean == pytest.approx(num_classes, rel=1e-6)
    assert std < 1e-6


def test_extreme_logits_stay_finite():
    logits = np.array([[0.0, -1e5]] * 20 + [[-1e5, 0.0]] * 20)
    mean, _ = inception_score_from_logits(logits, splits=1)
    assert mean == pytest.approx(2.0, rel=1e-12)


def test_validation_messages():
    with pytest.raises(ValueError, match=r"`logits` must be 2-D"):
        inception_score_from_logits(np.zeros(10))
    with pytest.raises(ValueError, match=r"at least 10.*lower `splits`"):
        inception_score_from_logits(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"`splits` must be >= 1"):
        inception_score_from_logits(np.zeros((5, 3)), splits=0)
    with pytest.raises(ValueError, match=r"at least 2 classes"):
        inception_score_from_logits(np.zeros((20, 1)))
