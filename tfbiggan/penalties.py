"""Gradient penalties on the discriminator: functions on tensors.

``critic(images) -> logits [batch]`` is the discriminator with its class input
bound. Both penalties use per-example gradient norms, so they are means over
the local batch like the losses, and scale the same way under replicas and
gradient accumulation.

- WGAN-GP (Gulrajani et al. 2017, Algorithm 1): on interpolates
  x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per example,
  E[(||grad_x_hat D(x_hat)||_2 - 1)^2]; the paper's lambda is 10.
- R1 (Mescheder et al. 2018, eq. 9): on real data only,
  gamma / 2 E[||grad_x D(x)||^2]; this function returns
  E[||grad_x D(x)||^2] / 2, to be multiplied by gamma.
- Drift (Karras et al. 2018, App. A.1): E[D(x)^2] on real logits, weighted
  by epsilon_drift = 0.001 beside WGAN-GP, so that D's output cannot drift
  far from zero.

With a layer that mixes examples (minibatch stddev, minibatch
discrimination), the gradient of the summed logits also holds the cross
terms between examples; ProGAN's reference code takes its penalty that way.
"""
import tensorflow as tf


def _per_example_gradient_sq_norms(critic, images):
    """[batch] squared L2 norms of d critic(images)_i / d images_i."""
    images = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        # Examples are independent, so the gradient of the sum holds each
        # example's own gradient in its row.
        total = tf.reduce_sum(tf.cast(critic(images), tf.float32))
    grads = tf.cast(tape.gradient(total, images), tf.float32)
    return tf.reduce_sum(tf.square(grads), axis=list(range(1, grads.shape.rank)))


def interpolates(real, fake, epsilon):
    """eps * real + (1 - eps) * fake with eps [batch] broadcast per example."""
    real = tf.convert_to_tensor(real)
    epsilon = tf.reshape(tf.cast(epsilon, real.dtype), [-1] + [1] * (real.shape.rank - 1))
    return epsilon * real + (1.0 - epsilon) * tf.cast(fake, real.dtype)


def gradient_penalty(critic, real, fake, epsilon):
    """WGAN-GP's E[(||grad D(x_hat)||_2 - 1)^2] over interpolates (eps [batch])."""
    norms = tf.sqrt(_per_example_gradient_sq_norms(critic, interpolates(real, fake, epsilon))
                    + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def r1_penalty(critic, real):
    """R1's E[||grad_x D(x)||^2] / 2 on real images (times gamma gives R1)."""
    return 0.5 * tf.reduce_mean(_per_example_gradient_sq_norms(critic, real))


DRIFT_EPSILON = 0.001


def drift_penalty(real_logits):
    """E[D(x)^2] over the local batch of real logits [batch]; multiply by
    DRIFT_EPSILON (the paper's 0.001)."""
    return tf.reduce_mean(tf.square(tf.cast(real_logits, tf.float32)))
