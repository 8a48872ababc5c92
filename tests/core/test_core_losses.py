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
    # Mao et al. 2017, eq. 2 with a = 0, b = c = 1.
    "lsgan": (lambda r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(),
              lambda f: 0.5 * ((f - 1) ** 2).mean()),
}
# f-GAN (Nowozin et al. 2016): output activation g_f (Table 6) and conjugate
# f* (Table 1), written as in the paper; D loss = -(E_P[g_f] - E_Q[f*(g_f)]).
sigmoid = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
FGAN = {
    "kl": (lambda v: v, lambda t: np.exp(t - 1)),
    "reverse_kl": (lambda v: -np.exp(-v), lambda t: -1 - np.log(-t)),
    "pearson": (lambda v: v, lambda t: t ** 2 / 4 + t),
    "hellinger": (lambda v: 1 - np.exp(-v), lambda t: t / (1 - t)),
    "js": (lambda v: np.log(2) - np.log(1 + np.exp(-v)), lambda t: -np.log(2 - np.exp(t))),
    "gan": (lambda v: -np.log(1 + np.exp(-v)), lambda t: -np.log(1 - np.exp(t))),
}
for _name, (_act, _conj) in FGAN.items():
    NP_LOSSES[f"fgan_{_name}"] = (
        lambda r, f, a=_act, c=_conj: -(a(r).mean() - c(a(f)).mean()),
        lambda f, a=_act, c=_conj: -c(a(f)).mean())


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
        get_loss("wgan")


# f'(u) and the inverse of each output activation, to place the critic at the
# optimum T*(x) = f'(p(x) / q(x)) (Nowozin et al. 2016, Sec. 2.2).
F_PRIME = {"kl": lambda u: np.log(u) + 1, "reverse_kl": lambda u: -1 / u,
           "pearson": lambda u: 2 * (u - 1), "hellinger": lambda u: 1 - 1 / np.sqrt(u),
           "js": lambda u: np.log(2 * u / (1 + u)), "gan": lambda u: np.log(u / (u + 1))}
INVERSE_ACTIVATION = {"kl": lambda t: t, "reverse_kl": lambda t: -np.log(-t),
                      "pearson": lambda t: t, "hellinger": lambda t: -np.log(1 - t),
                      "js": lambda t: -np.log(2 * np.exp(-t) - 1),
                      "gan": lambda t: -np.log(np.exp(-t) - 1)}
F = {"kl": lambda u: u * np.log(u), "reverse_kl": lambda u: -np.log(u),
     "pearson": lambda u: (u - 1) ** 2, "hellinger": lambda u: (np.sqrt(u) - 1) ** 2,
     "js": lambda u: -(u + 1) * np.log((1 + u) / 2) + u * np.log(u),
     "gan": lambda u: u * np.log(u) - (u + 1) * np.log(u + 1)}


@pytest.mark.parametrize("name", sorted(F))
def test_fgan_bound_is_tight_at_the_optimal_critic(name):
    # P and Q on three points, as samples: the variational objective F at the
    # optimal critic equals D_f(P || Q) = sum_x q(x) f(p(x) / q(x)).
    p, q = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    v = INVERSE_ACTIVATION[name](F_PRIME[name](p / q))
    real = np.repeat(v, (p * 10).astype(int))
    fake = np.repeat(v, (q * 10).astype(int))
    divergence = float(np.sum(q * F[name](p / q)))
    loss = get_loss(f"fgan_{name}")
    bound = -float(loss.d(tf.constant(real, tf.float32), tf.constant(fake, tf.float32)))
    np.testing.assert_allclose(bound, divergence, rtol=1e-4, atol=1e-5)
    # A worse critic gives a smaller value: F is a lower bound.
    worse = -float(loss.d(tf.constant(real * 0.5, tf.float32),
                          tf.constant(fake * 0.5, tf.float32)))
    assert worse < bound


def test_minimax_generator_saturates_where_nsgan_does_not():
    # Early in training D rejects the samples: D(G(z)) = sigmoid(logit) ~ 0.
    logits = tf.constant([-8.0, -6.0, -4.0])
    grads = {}
    for name in ("minimax", "non_saturating"):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            loss = get_loss(name).g(logits)
        grads[name] = tape.gradient(loss, logits).numpy() * 3   # per example
    d = sigmoid(logits.numpy())
    # d/dl log(1 - D) = -D: vanishes; d/dl -log D = -(1 - D): about -1.
    np.testing.assert_allclose(grads["minimax"], -d, rtol=1e-4)
    np.testing.assert_allclose(grads["non_saturating"], -(1 - d), rtol=1e-4)
    assert np.all(np.abs(grads["minimax"]) < 0.02 * np.abs(grads["non_saturating"]))


@pytest.mark.parametrize("name", ["non_saturating", "minimax", "lsgan"])
def test_one_sided_label_smoothing_changes_only_the_real_target(name):
    rng = np.random.default_rng(3)
    real, fake = rng.standard_normal(6) * 2, rng.standard_normal(6) * 2
    plain, smooth = get_loss(name), get_loss(name, real_target=0.9)
    r, f = tf.constant(real, tf.float32), tf.constant(fake, tf.float32)
    if name == "lsgan":
        want = 0.5 * ((real - 0.9) ** 2).mean() + 0.5 * (fake ** 2).mean()
    else:   # cross entropy of sigmoid(real) against 0.9
        want = (-(0.9 * np.log(sigmoid(real)) + 0.1 * np.log(1 - sigmoid(real)))).mean() \
            - np.log(1 - sigmoid(fake)).mean()
    np.testing.assert_allclose(float(smooth.d(r, f)), want, rtol=1e-5)
    assert float(smooth.d(r, f)) != float(plain.d(r, f))
    np.testing.assert_allclose(float(smooth.g(f)), float(plain.g(f)))
    with pytest.raises(ValueError, match="label smoothing"):
        get_loss("hinge", real_target=0.9)


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


def test_orthogonal_penalty_with_more_filters_than_inputs():
    """G's first linear (fan_in 20, out 16 * 16 * ch) takes the fan_in x
    fan_in route: same value and gradient as the out x out Gram, and no
    tensor in the graph grows like out^2."""
    w = np.random.default_rng(3).standard_normal((7, 300)).astype(np.float32)
    np.testing.assert_allclose(float(orthogonal_penalty(w)), _np_ortho(w), rtol=1e-4)
    variable = tf.Variable(w)
    with tf.GradientTape() as tape:
        value = orthogonal_penalty(variable)
    rows = w.T.astype(np.float64)  # d/dW of the out x out form: 4 (G o (1-I)) W
    gram = rows @ rows.T
    want = 4 * ((gram * (1 - np.eye(len(gram)))) @ rows).T
    np.testing.assert_allclose(tape.gradient(value, variable).numpy(), want, rtol=1e-3,
                               atol=1e-3 * np.abs(want).max())
    graph = tf.function(orthogonal_penalty).get_concrete_function(
        tf.TensorSpec([20, 24576], tf.float32)).graph
    largest = max(int(np.prod(t.shape)) for op in graph.get_operations()
                  for t in op.outputs if t.shape.is_fully_defined())
    assert largest <= 20 * 24576


def test_orthogonal_penalty_ignores_filter_norms():
    q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((12, 5)))
    scaled = q * np.array([1, 2, 3, 0.5, 7.0])  # orthogonal filters, free norms
    assert float(orthogonal_penalty(scaled)) < 1e-6 * 49
    assert float(orthogonal_penalty(scaled + 0.1)) > 1e-2
