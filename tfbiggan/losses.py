"""GAN losses on discriminator logits.

Each loss is a pair of functions: ``d(real_logits, fake_logits)`` and
``g(fake_logits)``, both returning the mean over the (local) batch as a float32
scalar. Logits are [batch] or [batch, 1], unbounded.

- hinge (BigGAN default): D = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))],
  G = -E[D(G(z))].
- non_saturating (NSGAN): D = E[softplus(-D(x))] + E[softplus(D(G(z)))],
  G = E[softplus(-D(G(z)))], i.e. G maximises log D(G(z)).
- minimax (MMGAN, Goodfellow et al. 2014): D as non_saturating,
  G = -E[softplus(D(G(z)))], i.e. G minimises log(1 - D(G(z))). Its gradient
  vanishes where D rejects the samples (D(G(z)) -> 0), early in training: the
  reason NSGAN exists (Goodfellow et al. 2014, Sec. 3).
- wasserstein: D = E[D(G(z))] - E[D(x)], G = -E[D(G(z))] (needs a Lipschitz
  D: spectral norm, weight clipping or a gradient penalty).
- lsgan (Mao et al. 2017, eq. 2 with the 0-1 coding a=0, b=c=1):
  D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2], G = 1/2 E[(D(G(z)) - 1)^2].
- fgan_<name> (Nowozin et al. 2016, variational divergence minimisation): the
  critic output v goes through the output activation g_f (Table 6) to
  T = g_f(v), and F = E_P[T(x)] - E_Q[f*(T(G(z)))] (eq. 6) is maximised by D
  and minimised by G: D = -F, G = -E_Q[f*(T(G(z)))]. Divergences (Table 1 and
  6), with f* evaluated on g_f(v) in a closed, stable form:

  | name | f(u) | g_f(v) | f*(g_f(v)) |
  |---|---|---|---|
  | kl | u log u | v | exp(v - 1) |
  | reverse_kl | -log u | -exp(-v) | v - 1 |
  | pearson | (u - 1)^2 | v | v^2 / 4 + v |
  | hellinger | (sqrt(u) - 1)^2 | 1 - exp(-v) | exp(v) - 1 |
  | js | Jensen-Shannon | log 2 - softplus(-v) | softplus(v) - log 2 |
  | gan | u log u - (u + 1) log(u + 1) | -softplus(-v) | softplus(v) |

One-sided label smoothing (Salimans et al. 2016, Sec. 3.4): the cross-entropy
D losses (non_saturating, minimax) and lsgan can use a real target alpha < 1
(e.g. 0.9) instead of 1; fake targets stay 0.
"""
import dataclasses
import math
from typing import Callable

import tensorflow as tf


def _f32(x):
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def hinge_d(real, fake):
    return (tf.reduce_mean(tf.nn.relu(1.0 - _f32(real)))
            + tf.reduce_mean(tf.nn.relu(1.0 + _f32(fake))))


def hinge_g(fake):
    return -tf.reduce_mean(_f32(fake))


def non_saturating_d(real, fake, real_target=1.0):
    """Sigmoid cross entropy; ``real_target`` < 1 is one-sided label smoothing."""
    real = _f32(real)
    return (tf.reduce_mean(real_target * tf.nn.softplus(-real)
                           + (1.0 - real_target) * tf.nn.softplus(real))
            + tf.reduce_mean(tf.nn.softplus(_f32(fake))))


def non_saturating_g(fake):
    return tf.reduce_mean(tf.nn.softplus(-_f32(fake)))


def minimax_g(fake):
    return -tf.reduce_mean(tf.nn.softplus(_f32(fake)))


def wasserstein_d(real, fake):
    return tf.reduce_mean(_f32(fake)) - tf.reduce_mean(_f32(real))


def wasserstein_g(fake):
    return -tf.reduce_mean(_f32(fake))


def lsgan_d(real, fake, real_target=1.0):
    return 0.5 * (tf.reduce_mean(tf.square(_f32(real) - real_target))
                  + tf.reduce_mean(tf.square(_f32(fake))))


def lsgan_g(fake):
    return 0.5 * tf.reduce_mean(tf.square(_f32(fake) - 1.0))


@dataclasses.dataclass(frozen=True)
class FDivergence:
    """An f-divergence in the f-GAN form: T = activation(v), conjugate f*(T)
    written directly as a function of v (``conjugate_of_activation``), and the
    generator f of D_f(P || Q) = E_Q[f(p / q)] (for checks)."""
    name: str
    activation: Callable
    conjugate_of_activation: Callable
    f: Callable


def _js_f(u):
    return -(u + 1.0) * math.log((1.0 + u) / 2.0) + u * math.log(u)


F_DIVERGENCES = {d.name: d for d in (
    FDivergence("kl", lambda v: v, lambda v: tf.exp(v - 1.0), lambda u: u * math.log(u)),
    FDivergence("reverse_kl", lambda v: -tf.exp(-v), lambda v: v - 1.0,
                lambda u: -math.log(u)),
    FDivergence("pearson", lambda v: v, lambda v: tf.square(v) / 4.0 + v,
                lambda u: (u - 1.0) ** 2),
    FDivergence("hellinger", lambda v: 1.0 - tf.exp(-v), lambda v: tf.exp(v) - 1.0,
                lambda u: (math.sqrt(u) - 1.0) ** 2),
    FDivergence("js", lambda v: math.log(2.0) - tf.nn.softplus(-v),
                lambda v: tf.nn.softplus(v) - math.log(2.0), _js_f),
    FDivergence("gan", lambda v: -tf.nn.softplus(-v), lambda v: tf.nn.softplus(v),
                lambda u: u * math.log(u) - (u + 1.0) * math.log(u + 1.0)),
)}


def fgan_objective(divergence, real, fake):
    """F = E_P[g_f(v_real)] - E_Q[f*(g_f(v_fake))], the variational lower bound
    on D_f(P || Q) that D maximises (Nowozin et al. 2016, eq. 6)."""
    return (tf.reduce_mean(divergence.activation(_f32(real)))
            - tf.reduce_mean(divergence.conjugate_of_activation(_f32(fake))))


def _fgan_loss(divergence):
    def d(real, fake):
        return -fgan_objective(divergence, real, fake)

    def g(fake):
        return -tf.reduce_mean(divergence.conjugate_of_activation(_f32(fake)))
    return GANLoss(f"fgan_{divergence.name}", d, g)


@dataclasses.dataclass(frozen=True)
class GANLoss:
    """A named pair of loss functions. ``smoothable``: the D loss takes a
    ``real_target`` (one-sided label smoothing)."""
    name: str
    d: Callable
    g: Callable
    smoothable: bool = False


LOSSES = {
    "hinge": GANLoss("hinge", hinge_d, hinge_g),
    "non_saturating": GANLoss("non_saturating", non_saturating_d, non_saturating_g, True),
    "minimax": GANLoss("minimax", non_saturating_d, minimax_g, True),
    "wasserstein": GANLoss("wasserstein", wasserstein_d, wasserstein_g),
    "lsgan": GANLoss("lsgan", lsgan_d, lsgan_g, True),
    **{f"fgan_{name}": _fgan_loss(div) for name, div in F_DIVERGENCES.items()},
}


def get_loss(name, real_target=1.0):
    """The GANLoss called ``name``; ``real_target`` < 1 smooths the real labels
    of the losses that have them. ValueError listing the choices otherwise."""
    try:
        loss = LOSSES[name]
    except KeyError:
        raise ValueError(
            f"Unknown loss {name!r}; choose one of {sorted(LOSSES)}.") from None
    if real_target == 1.0:
        return loss
    if not loss.smoothable:
        raise ValueError(
            f"One-sided label smoothing needs a loss with real targets "
            f"(non_saturating, minimax, lsgan); {name!r} has none.")
    return dataclasses.replace(
        loss, d=lambda real, fake: loss.d(real, fake, real_target=real_target))
