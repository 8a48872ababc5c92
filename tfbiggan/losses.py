"""GAN losses on discriminator logits.

Each loss is a pair of functions: ``d(real_logits, fake_logits)`` and
``g(fake_logits)``, both returning the mean over the (local) batch as a float32
scalar. Logits are [batch] or [batch, 1], unbounded.

- hinge (BigGAN default): D = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))],
  G = -E[D(G(z))].
- non_saturating (NSGAN): D = E[softplus(-D(x))] + E[softplus(D(G(z)))],
  G = E[softplus(-D(G(z)))], i.e. G maximises log D(G(z)).
- minimax (MMGAN): D as non_saturating, G = -E[softplus(D(G(z)))], i.e. G
  minimises log(1 - D(G(z))).
- wasserstein: D = E[D(G(z))] - E[D(x)], G = -E[D(G(z))] (needs a Lipschitz
  D; spectral norm provides it here).
"""
import dataclasses
from typing import Callable

import tensorflow as tf


def _f32(x):
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def hinge_d(real, fake):
    return (tf.reduce_mean(tf.nn.relu(1.0 - _f32(real)))
            + tf.reduce_mean(tf.nn.relu(1.0 + _f32(fake))))


def hinge_g(fake):
    return -tf.reduce_mean(_f32(fake))


def non_saturating_d(real, fake):
    return (tf.reduce_mean(tf.nn.softplus(-_f32(real)))
            + tf.reduce_mean(tf.nn.softplus(_f32(fake))))


def non_saturating_g(fake):
    return tf.reduce_mean(tf.nn.softplus(-_f32(fake)))


def minimax_g(fake):
    return -tf.reduce_mean(tf.nn.softplus(_f32(fake)))


def wasserstein_d(real, fake):
    return tf.reduce_mean(_f32(fake)) - tf.reduce_mean(_f32(real))


def wasserstein_g(fake):
    return -tf.reduce_mean(_f32(fake))


@dataclasses.dataclass(frozen=True)
class GANLoss:
    """A named pair of loss functions."""
    name: str
    d: Callable
    g: Callable


LOSSES = {
    "hinge": GANLoss("hinge", hinge_d, hinge_g),
    "non_saturating": GANLoss("non_saturating", non_saturating_d, non_saturating_g),
    "minimax": GANLoss("minimax", non_saturating_d, minimax_g),
    "wasserstein": GANLoss("wasserstein", wasserstein_d, wasserstein_g),
}


def get_loss(name):
    """The GANLoss called ``name``; raises ValueError listing the choices."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(
            f"Unknown loss {name!r}; choose one of {sorted(LOSSES)}.") from None
