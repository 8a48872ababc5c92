"""BigGAN's batch norms: cross-replica moments and standing statistics.

``StandingBatchNorm``: out = x_hat * scale + offset with learned per-channel
``scale`` (init 1) and ``offset`` (init 0); BigGAN-deep's unconditional head BN.

``ConditionalBatchNorm``: the class-conditional batch norm of BigGAN (Brock et
al. 2019, Sec. 3 and Appendix B): out = x_hat * (1 + scale(cond)) +
offset(cond), where ``scale`` and ``offset`` are spectrally normalised linear
maps without bias (the gain is 1-centred; compare_gan#54 lacks the +1). The
sublayers carry the names of the official checkpoints' ``scale`` / ``offset``.

Statistics, per mode:
- training: moments of the batch. Under a tf.distribute strategy with more than
  one replica, sum, sum of squares and count are all-reduced, so every replica
  normalises with the moments of the global batch. Moving averages update.
- inference, ``truncation=None``: the moving averages.
- inference with a truncation: the "standing" statistics, one (mean,
  variance) pair per point of ``tfbiggan.truncation.truncation_grid``,
  interpolated by ``interpolation_weights`` (a matmul: no gather, no cond, no
  variable writes; the graph converts to TFLite and TF.js).

Standing statistics are filled by ``tfbiggan.models.biggan.standing`` through
``accumulate_standing``, ``reset_accumulators`` and ``commit_standing``.

Virtual batch normalisation (Salimans et al. 2016, Sec. 3.5): while
``virtual_reference`` is n (set by ``Generator.virtual_batch_norm``), the first
n rows of a training-mode input are a reference batch fixed at the start of
training; it is normalised with its own moments, and every other example x
with the moments of the reference batch together with x alone, so an example
never depends on the rest of its minibatch. The reference is the same on every
replica, so nothing is all-reduced; the moving averages follow the reference.
Epsilon is 1e-4 in the published models.
"""
import keras
import tensorflow as tf

from tfbiggan.layers.spectral_norm import dense
from tfbiggan.truncation import NUM_TRUNCATION_POINTS, interpolation_weights


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
class StandingBatchNorm(keras.layers.Layer):
    """Batch norm with a learned per-channel scale and offset.

    Args:
      epsilon: variance epsilon (BigGAN: 1e-4).
      momentum: decay of the moving averages.
      num_standing: number of truncation grid points (51 on tfhub.dev).

    Call: x [batch, H, W, C] (or [batch, C]); returns the same shape.
    """

    def __init__(self, epsilon=1e-4, momentum=0.9, num_standing=NUM_TRUNCATION_POINTS,
                 **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.momentum = float(momentum)
        self.num_standing = int(num_standing)
        # Set by the standing-statistics pass while it collects; never in training.
        self.accumulate_standing = False
        # Set by Generator.virtual_batch_norm: rows [:n] are the reference batch.
        self.virtual_reference = None

    def build(self, input_shape):
        self.channels = int(input_shape[-1])
        self._build_statistics()
        self.scale = self.add_weight(name="scale", shape=(self.channels,),
                                     initializer="ones")
        self.offset = self.add_weight(name="offset", shape=(self.channels,),
                                      initializer="zeros")

    def _build_statistics(self):
        def stat(name, shape, init):
            return self.add_weight(name=name, shape=shape, initializer=init,
                                   trainable=False, autocast=False,
                                   aggregation="only_first_replica")

        c, n = self.channels, self.num_standing
        self.moving_mean = stat("moving_mean", (c,), "zeros")
        self.moving_variance = stat("moving_variance", (c,), "ones")
        self.standing_mean = stat("standing_mean", (n, c), "zeros")
        self.standing_variance = stat("standing_variance", (n, c), "ones")
        self.accum_mean = stat("accum_mean", (c,), "zeros")
        self.accum_variance = stat("accum_variance", (c,), "zeros")
        self.accum_count = stat("accum_count", (), "zeros")

    def _virtual_batch_statistics(self, x32):
        """Per-row mean and variance [rows, 1, ..., C] of virtual batch norm."""
        n = self.virtual_reference
        spatial = list(range(1, x32.shape.rank - 1))
        per_row = tf.cast(tf.reduce_prod(tf.shape(x32)[1:-1]), tf.float32)
        row_sum = tf.reduce_sum(x32, spatial)                 # [rows, C]
        row_sq = tf.reduce_sum(tf.square(x32), spatial)
        ref_sum = tf.reduce_sum(row_sum[:n], 0)
        ref_sq = tf.reduce_sum(row_sq[:n], 0)
        ref_count = n * per_row
        ref_mean = ref_sum / ref_count
        ref_var = tf.maximum(ref_sq / ref_count - tf.square(ref_mean), 0.0)
        mean = (ref_sum + row_sum[n:]) / (ref_count + per_row)
        variance = tf.maximum((ref_sq + row_sq[n:]) / (ref_count + per_row)
                              - tf.square(mean), 0.0)
        ones = tf.ones([n, 1])
        mean = tf.concat([ones * ref_mean, mean], 0)
        variance = tf.concat([ones * ref_var, variance], 0)
        return ref_mean, ref_var, (self._per_example(mean, x32.shape.rank),
                                   self._per_example(variance, x32.shape.rank))

    def _statistics(self, x32, training, truncation):
        if training and self.virtual_reference:
            ref_mean, ref_var, per_row = self._virtual_batch_statistics(x32)
            m = self.momentum
            self.moving_mean.assign(m * self.moving_mean + (1 - m) * ref_mean)
            self.moving_variance.assign(m * self.moving_variance + (1 - m) * ref_var)
            return per_row
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
        weights = interpolation_weights(truncation, self.num_standing)
        # weights [..., n] @ standing [n, C]: a matmul instead of a gather.
        if weights.shape.rank == 1:
            weights = weights[None]
            mean = tf.matmul(weights, self.standing_mean.value)[0]
            variance = tf.matmul(weights, self.standing_variance.value)[0]
        else:
            mean = tf.matmul(weights, self.standing_mean.value)
            variance = tf.matmul(weights, self.standing_variance.value)
            mean = self._per_example(mean, x32.shape.rank)
            variance = self._per_example(variance, x32.shape.rank)
        return mean, variance

    def _per_example(self, values, rank):
        """[batch, C] -> [batch, 1, ..., 1, C] to broadcast over a rank-``rank`` input."""
        return tf.reshape(values, [-1] + [1] * (rank - 2) + [self.channels])

    def _normalize(self, inputs, gain, bias, training, truncation):
        x32 = tf.cast(inputs, tf.float32)
        mean, variance = self._statistics(x32, training, truncation)
        scale = gain * tf.math.rsqrt(variance + self.epsilon)
        out = x32 * scale + (bias - mean * scale)
        return tf.cast(out, self.compute_dtype)

    def call(self, inputs, training=False, truncation=None):
        return self._normalize(inputs, tf.cast(self.scale, tf.float32),
                               tf.cast(self.offset, tf.float32), training, truncation)

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
        config.update(epsilon=self.epsilon, momentum=self.momentum,
                      num_standing=self.num_standing)
        return config


@keras.saving.register_keras_serializable(package="tfbiggan")
class ConditionalBatchNorm(StandingBatchNorm):
    """Batch norm whose gain and bias are linear projections of a condition.

    Args (besides StandingBatchNorm's):
      power_iterations, sn_epsilon, spectral_norm: for the (spectrally
        normalised, unless spectral_norm=False) projections.

    Call: x [batch, H, W, C] (or [batch, C]), condition [batch, cond_dim];
    returns the same shape as x.
    """

    def __init__(self, epsilon=1e-4, momentum=0.9, num_standing=NUM_TRUNCATION_POINTS,
                 power_iterations=1, sn_epsilon=1e-4, spectral_norm=True, **kwargs):
        super().__init__(epsilon, momentum, num_standing, **kwargs)
        self.power_iterations = power_iterations
        self.sn_epsilon = sn_epsilon
        self.spectral_norm = bool(spectral_norm)

    def build(self, input_shape):
        self.channels = int(input_shape[-1])
        self._build_statistics()
        projection = dict(use_bias=False, power_iterations=self.power_iterations,
                          sn_epsilon=self.sn_epsilon, spectral_norm=self.spectral_norm,
                          dtype=self.dtype_policy)
        self.scale = dense(self.channels, name="scale", **projection)
        self.offset = dense(self.channels, name="offset", **projection)

    def call(self, inputs, condition=None, training=False, truncation=None):
        if condition is None:
            raise ValueError(
                f"{self.name} is conditional: call it with condition=[batch, dim].")
        condition = tf.cast(condition, self.compute_dtype)
        rank = inputs.shape.rank
        gain = 1.0 + tf.cast(self.scale(condition, training=training), tf.float32)
        bias = tf.cast(self.offset(condition, training=training), tf.float32)
        return self._normalize(inputs, self._per_example(gain, rank),
                               self._per_example(bias, rank), training, truncation)

    def get_config(self):
        config = super().get_config()
        config.update(power_iterations=self.power_iterations, sn_epsilon=self.sn_epsilon,
                      spectral_norm=self.spectral_norm)
        return config
