"""Class-conditional batch norm with cross-replica moments and standing stats.

Conditional: out = x_hat * (1 + SNDense(cond)) + SNDense(cond), both linears
without bias (the gain is 1-centred, as in BigGAN; compare_gan#54 lacks the +1).
Unconditional (``condition=None`` at build): learned per-channel gamma/beta.

Statistics, per mode:
- training: moments of the batch. Under a tf.distribute strategy with more than
  one replica, sum, sum of squares and count are all-reduced, so every replica
  normalises with the moments of the global batch. Moving averages are updated.
- inference, ``truncation=None``: the moving averages.
- inference with a truncation value in [0, 1]: "standing" statistics, one
  (mean, variance) pair per grid point 0.00, 0.02, ..., 1.00, linearly
  interpolated between grid points. The interpolation weights are a hat function
  of the truncation (pure arithmetic: no gather, no cond, no variable writes), so
  the graph converts to TFLite and TF.js.

Standing statistics are filled by ``tfbiggan.standing`` through
``accumulate_standing``, ``reset_accumulators`` and ``commit_standing``.
"""
import keras
import numpy as np
import tensorflow as tf

from tfbiggan.layers.spectral_norm import SNDense

NUM_TRUNCATION_POINTS = 51


def truncation_grid(num_points=NUM_TRUNCATION_POINTS):
    """The truncation values at which standing statistics are stored: [num_points]."""
    return np.linspace(0.0, 1.0, num_points).astype(np.float32)


def truncation_weights(truncation, num_points=NUM_TRUNCATION_POINTS):
    """Linear-interpolation weights over the truncation grid.

    Args:
      truncation: scalar (or [batch]) float, expected in [0, 1]; values outside
        are clamped to the ends of the grid.
    Returns:
      [num_points] (or [batch, num_points]) weights that sum to 1.
    """
    t = tf.clip_by_value(tf.cast(truncation, tf.float32), 0.0, 1.0)
    grid = tf.constant(truncation_grid(num_points))
    spacing = 1.0 / (num_points - 1)
    return tf.nn.relu(1.0 - tf.abs(t[..., None] - grid) / spacing)


def _cross_replica_moments(x, axes):
    """Mean and (biased) variance over ``axes`` of the global batch, float32."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return tf.nn.moments(x, axes)
    count = tf.cast(tf.reduce_prod([tf.shape(x)[a] for a in axes]), tf.float32)
    local = [tf.reduce_sum(x, axes), tf.reduce_sum(tf.square(x), axes), count]
    total_sum, total_sq, total_count = ctx.all_reduce(
        tf.distribute.ReduceOp.SUM, local)
    mean = total_sum / total_count
    variance = tf.maximum(total_sq / total_count - tf.square(mean), 0.0)
    return mean, variance


@keras.saving.register_keras_serializable(package="tfbiggan")
class ConditionalBatchNorm(keras.layers.Layer):
    """Batch norm whose gain and bias are linear projections of a condition.

    Args:
      conditional: if True, call with ``condition`` [batch, cond_dim].
      epsilon: variance epsilon (BigGAN: 1e-4).
      momentum: decay of the moving averages.
      power_iterations, sn_epsilon: for the spectrally normalised projections.
      num_standing: number of truncation grid points (51 on tfhub.dev).

    Call: x [batch, H, W, C] (or [batch, C]), condition [batch, cond_dim];
    returns the same shape as x.
    """

    def __init__(self, conditional=True, epsilon=1e-4, momentum=0.9,
                 power_iterations=1, sn_epsilon=1e-4,
                 num_standing=NUM_TRUNCATION_POINTS, **kwargs):
        super().__init__(**kwargs)
        self.conditional = conditional
        self.epsilon = float(epsilon)
        self.momentum = float(momentum)
        self.power_iterations = power_iterations
        self.sn_epsilon = sn_epsilon
        self.num_standing = int(num_standing)
        # Set by tfbiggan.standing while it collects statistics; never in training.
        self.accumulate_standing = False

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.channels = channels
        if self.conditional:
            self.gain = SNDense(channels, use_bias=False,
                                power_iterations=self.power_iterations,
                                sn_epsilon=self.sn_epsilon, name="gain",
                                dtype=self.dtype_policy)
            self.bias = SNDense(channels, use_bias=False,
                                power_iterations=self.power_iterations,
                                sn_epsilon=self.sn_epsilon, name="bias",
                                dtype=self.dtype_policy)
        else:
            self.gamma = self.add_weight(name="gamma", shape=(channels,),
                                         initializer="ones")
            self.beta = self.add_weight(name="beta", shape=(channels,),
                                        initializer="zeros")

        def stat(name, shape, init):
            return self.add_weight(name=name, shape=shape, initializer=init,
                                   trainable=False, autocast=False,
                                   aggregation="only_first_replica")

        self.moving_mean = stat("moving_mean", (channels,), "zeros")
        self.moving_variance = stat("moving_variance", (channels,), "ones")
        n = self.num_standing
        self.standing_mean = stat("standing_mean", (n, channels), "zeros")
        self.standing_variance = stat("standing_variance", (n, channels), "ones")
        self.accum_mean = stat("accum_mean", (channels,), "zeros")
        self.accum_variance = stat("accum_variance", (channels,), "zeros")
        self.accum_count = stat("accum_count", (), "zeros")

    def _statistics(self, x32, training, truncation):
        if training:
            axes = list(range(x32.shape.rank - 1))
            mean, variance = _cross_replica_moments(x32, axes)
            if self.accumulate_standing:
                self.accum_mean.assign_add(mean)
                self.accum_variance.assign_add(variance)
                self.accum_count.assign_add(1.0)
            else:
                m = self.momentum
                self.moving_mean.assign(m * self.moving_mean + (1 - m) * mean)
                self.moving_variance.assign(
                    m * self.moving_variance + (1 - m) * variance)
            return mean, variance
        if truncation is None:
            return self.moving_mean.value, self.moving_variance.value
        weights = truncation_weights(truncation, self.num_standing)
        # weights [..., n] @ standing [n, C]: a matmul instead of a gather.
        if weights.shape.rank == 1:
            weights = weights[None]
            mean = tf.matmul(weights, self.standing_mean.value)[0]
            variance = tf.matmul(weights, self.standing_variance.value)[0]
        else:
            mean = tf.matmul(weights, self.standing_mean.value)
            variance = tf.matmul(weights, self.standing_variance.value)
            expand = [1] * (x32.shape.rank - 2)
            mean = tf.reshape(mean, [-1] + expand + [self.channels])
            variance = tf.reshape(variance, [-1] + expand + [self.channels])
        return mean, variance

    def call(self, inputs, condition=None, training=False, truncation=None):
        x32 = tf.cast(inputs, tf.float32)
        mean, variance = self._statistics(x32, training, truncation)
        inv = tf.math.rsqrt(variance + self.epsilon)
        if self.conditional:
            if condition is None:
                raise ValueError(
                    f"{self.name} is conditional: call it with condition=[batch, dim].")
            condition = tf.cast(condition, self.compute_dtype)
            gain = 1.0 + tf.cast(self.gain(condition, training=training), tf.float32)
            bias = tf.cast(self.bias(condition, training=training), tf.float32)
            expand = [1] * (x32.shape.rank - 2)
            gain = tf.reshape(gain, [-1] + expand + [self.channels])
            bias = tf.reshape(bias, [-1] + expand + [self.channels])
        else:
            gain = tf.cast(self.gamma, tf.float32)
            bias = tf.cast(self.beta, tf.float32)
        scale = gain * inv
        out = x32 * scale + (bias - mean * scale)
        return tf.cast(out, self.compute_dtype)

    # --- standing statistics -------------------------------------------------

    def reset_accumulators(self):
        """Zeroes the running sums used to collect standing statistics."""
        self.accum_mean.assign(tf.zeros_like(self.accum_mean))
        self.accum_variance.assign(tf.zeros_like(self.accum_variance))
        self.accum_count.assign(0.0)

    def commit_standing(self, index):
        """Stores the averaged accumulated moments at truncation grid ``index``."""
        count = float(self.accum_count.numpy())
        if count <= 0:
            raise RuntimeError(
                f"{self.name}: no batches were accumulated; run forward passes "
                "with training=True inside accumulate_standing first.")
        mean = self.accum_mean.numpy() / count
        variance = self.accum_variance.numpy() / count
        sm = self.standing_mean.numpy()
        sv = self.standing_variance.numpy()
        sm[index], sv[index] = mean, variance
        self.standing_mean.assign(sm)
        self.standing_variance.assign(sv)

    def compute_output_shape(self, input_shape, *args, **kwargs):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(conditional=self.conditional, epsilon=self.epsilon,
                      momentum=self.momentum,
                      power_iterations=self.power_iterations,
                      sn_epsilon=self.sn_epsilon, num_standing=self.num_standing)
        return config
