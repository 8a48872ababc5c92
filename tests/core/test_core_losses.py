"""GAN losses and orthogonal regularisation against numpy references."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.losses import LOSSES, get_loss
from tfbiggan.regularizers import orthogonal_penalty, orthogonal_regularization

softplus = lambda t: np.log1p(np.exp(t))  # noqa: E731
relu = lambda t: np.maximum(t, 0)  # noqa: E731

NP_LOSSES = {
    "hinge": (lambda r, f: relu(1 - r).mean() + relu(1 + f).mean(), lambda f: -f.mean()),
    # D maximises log D(x) + log(1 - D(G(z))) with D = sigmoid(logit).
    "non_saturating": (lambda r, f: -np.log(1 / (1 + np.exp(-r))).mean()
                       - np.log(1 - 1 / (1 + np.exp(-f))).mean(),
                       lambda f: -np.log(1 / (1 + np.exp(-f))).mean()),
    "minimax": (lambda r, f: -np.log(1 / (1 + np.exp(-r))).mean()
                - np.log(1 - 1 / (1 + np.exp(-f))).mean(),
                lambda f: np.log(1 - 1 / (1 + np.exp(-f))).mean()),
    "wasserstein": (lambda r, f: f.mean() - r.mean(), lambda f: -f.mean()),
}


@pytest.mark.parametrize("name", sorted(NP_LOSSES))
@pytest.mark.parametrize("shape", [(7,), (7, 1)])
def test_losses_match_numpy(name, shape):
    rng = np.random.default_rng(0)
    real = rng.standard_normal(shape) * 2
    fake = rng.standard_normal(shape) * 2
    loss = get_loss(name)
    d_ref, g_ref = NP_LOSSES[name]
    d = loss.d(tf.constant(real, tf.float32), tf.constant(fake, tf.float32))
    g = loss.g(tf.constant(fake, tf.bfloat16 if name == "hinge" else tf.float32))
    assert d.dtype == tf.float32 and g.dtype == tf.float32 and d.shape == ()
    np.testing.assert_allclose(float(d), d_ref(real, fake), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(g), g_ref(fake), rtol=1e-2 if name == "hinge" else 1e-5)


def test_registry_and_unknown_loss():
    assert set(LOSSES) == set(NP_LOSSES)
    with pytest.raises(ValueError, match="hinge"):
        get_loss("lsgan")


def _np_ortho(w):
    rows = w.reshape(-1, w.shape[-1]).T
    gram = rows @ rows.T
    return np.sum((gram * (1 - np.eye(len(gram)))) ** 2)


def test_orthogonal_penalty_matches_numpy():
    rng = np.random.default_rng(1)
    conv = rng.standard_normal((3, 3, 4, 6))
    dense = rng.standard_normal((10, 5))
    np.testing.assert_allclose(float(orthogonal_penalty(conv)), _np_ortho(conv), rtol=1e-4)
    np.testing.assert_allclose(float(orthogonal_penalty(dense)), _np_ortho(dense), rtol=1e-4)
    total = orthogonal_regularization([conv, dense, rng.standard_normal(5)], beta=1e-4)
    np.testing.assert_allclose(float(total), 1e-4 * (_np_ortho(conv) + _np_ortho(dense)), rtol=1e-4)
    assert float(orthogonal_regularization([np.ones(3)])) == 0.0


def test_orthogonal_penalty_ignores_filter_norms():
    q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((12, 5)))
    scaled = q * np.array([1, 2, 3, 0.5, 7.0])  # orthogonal filters, free norms
    assert float(orthogonal_penalty(scaled)) < 1e-6 * 49
    assert float(orthogonal_penalty(scaled + 0.1)) > 1e-2
