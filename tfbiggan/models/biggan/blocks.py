"""Residual blocks of BigGAN and BigGAN-deep, NHWC.

Generator blocks take (x, cond) where cond [batch, cond_dim] feeds every
conditional batch norm; they also take ``truncation`` (None, or a scalar in
[0, 1] that selects standing statistics at inference).
"""
import keras
import tensorflow as tf

from tfbiggan.layers import ConditionalBatchNorm, conv2d
from tfbiggan.layers.resampling import downsample2x, upsample2x


class _Block(keras.layers.Layer):
    """Shared constructor arguments and config of all blocks. ``resample``
    scales the side by ``RESAMPLE_SCALE``: 2 in G's blocks, 0.5 in D's."""

    RESAMPLE_SCALE = 2

    def __init__(self, in_channels, out_channels, resample=False,
                 bn_epsilon=1e-4, bn_momentum=0.9, sn_epsilon=1e-4,
                 power_iterations=1, spectral_norm=True, condition_spectral_norm=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.resample = bool(resample)
        self.bn_epsilon = bn_epsilon
        self.bn_momentum = bn_momentum
        self.sn_epsilon = sn_epsilon
        self.power_iterations = power_iterations
        self.spectral_norm = bool(spectral_norm)
        # Spectral norm of the conditional batch norms' projections (default:
        # as the convs; off when they are per-layer class embeddings).
        self.condition_spectral_norm = bool(
            spectral_norm if condition_spectral_norm is None else condition_spectral_norm)

    def _conv(self, filters, kernel_size, name):
        return conv2d(filters, kernel_size, power_iterations=self.power_iterations,
                      sn_epsilon=self.sn_epsilon, spectral_norm=self.spectral_norm,
                      name=name, dtype=self.dtype_policy)

    def _cbn(self, name):
        return ConditionalBatchNorm(epsilon=self.bn_epsilon,
                                    momentum=self.bn_momentum,
                                    power_iterations=self.power_iterations,
                                    sn_epsilon=self.sn_epsilon,
                                    spectral_norm=self.condition_spectral_norm, name=name,
                                    dtype=self.dtype_policy)

    def build(self, *shapes):
        # Sublayers build themselves on first call. Defining build() stops Keras
        # from tracing call() symbolically once just to discover them.
        self.built = True

    def compute_output_shape(self, input_shape, *args, **kwargs):
        b, h, w, _ = input_shape
        if self.resample:
            h = None if h is None else int(h * self.RESAMPLE_SCALE)
            w = None if w is None else int(w * self.RESAMPLE_SCALE)
        return (b, h, w, self.out_channels)

    def get_config(self):
        config = super().get_config()
        config.update(in_channels=self.in_channels, out_channels=self.out_channels,
                      resample=self.resample, bn_epsilon=self.bn_epsilon,
                      bn_momentum=self.bn_momentum, sn_epsilon=self.sn_epsilon,
                      power_iterations=self.power_iterations,
                      spectral_norm=self.spectral_norm,
                      condition_spectral_norm=self.condition_spectral_norm)
        return config


@keras.saving.register_keras_serializable(package="tfbiggan")
class GBlock(_Block):
    """BigGAN up-block: CBN-ReLU-up-conv3x3-CBN-ReLU-conv3x3 + (up, conv1x1) skip."""

    def __init__(self, in_channels, out_channels, resample=True, **kwargs):
        super().__init__(in_channels, out_channels, resample, **kwargs)
        self.bn1 = self._cbn("bn1")
        self.conv1 = self._conv(self.out_channels, 3, "conv1")
        self.bn2 = self._cbn("bn2")
        self.conv2 = self._conv(self.out_channels, 3, "conv2")
        self.learnable_sc = self.in_channels != self.out_channels or self.resample
        self.conv_sc = self._conv(self.out_channels, 1, "conv_sc") if self.learnable_sc else None

    def call(self, x, cond, training=False, truncation=None):
        bn = dict(training=training, truncation=truncation)
        h = tf.nn.relu(self.bn1(x, cond, **bn))
        # upsample=True fuses the nearest x2 upsampling into the convs.
        h = self.conv1(h, training=training, upsample=self.resample)
        h = tf.nn.relu(self.bn2(h, cond, **bn))
        h = self.conv2(h, training=training)
        if self.conv_sc is not None:
            x = self.conv_sc(x, training=training, upsample=self.resample)
        elif self.resample:
            x = upsample2x(x)
        return h + x


@keras.saving.register_keras_serializable(package="tfbiggan")
class GBlockDeep(_Block):
    """BigGAN-deep block with a 4x channel bottleneck.

    CBN-ReLU-conv1x1(in->in/4)-CBN-ReLU-[up]-conv3x3-CBN-ReLU-conv3x3-CBN-ReLU-
    conv1x1(->out); the skip keeps the first ``out`` channels, then [up].
    """

    def __init__(self, in_channels, out_channels, resample=False, **kwargs):
        super().__init__(in_channels, out_channels, resample, **kwargs)
        if self.out_channels > self.in_channels:
            raise ValueError("BigGAN-deep generator blocks never widen: "
                             f"{self.in_channels} -> {self.out_channels}.")
        hidden = self.in_channels // 4
        self.bn0, self.bn1 = self._cbn("bn0"), self._cbn("bn1")
        self.bn2, self.bn3 = self._cbn("bn2"), self._cbn("bn3")
        self.conv0 = self._conv(hidden, 1, "conv0")
        self.conv1 = self._conv(hidden, 3, "conv1")
        self.conv2 = self._conv(hidden, 3, "conv2")
        self.conv3 = self._conv(self.out_channels, 1, "conv3")

    def call(self, x, cond, training=False, truncation=None):
        bn = dict(training=training, truncation=truncation)
        h = self.conv0(tf.nn.relu(self.bn0(x, cond, **bn)), training=training)
        h = tf.nn.relu(self.bn1(h, cond, **bn))
        if self.out_channels < self.in_channels:
            x = x[..., :self.out_channels]
        if self.resample:
            x = upsample2x(x)
        # upsample=True fuses the nearest x2 upsampling of h into conv1.
        h = self.conv1(h, training=training, upsample=self.resample)
        h = self.conv2(tf.nn.relu(self.bn2(h, cond, **bn)), training=training)
        h = self.conv3(tf.nn.relu(self.bn3(h, cond, **bn)), training=training)
        return h + x


@keras.saving.register_keras_serializable(package="tfbiggan")
class DBlock(_Block):
    """BigGAN down-block: [ReLU]-conv3x3-ReLU-conv3x3-[avgpool] + conv1x1 skip.

    ``preactivation=False`` (the first block) skips the leading ReLU. BigGAN
    pools the skip before its conv in the first block and after it elsewhere;
    the two orders are equal, and this block always pools first (cheaper).
    """
    RESAMPLE_SCALE = 0.5

    def __init__(self, in_channels, out_channels, resample=True,
                 preactivation=True, **kwargs):
        super().__init__(in_channels, out_channels, resample, **kwargs)
        self.preactivation = preactivation
        self.conv1 = self._conv(self.out_channels, 3, "conv1")
        self.conv2 = self._conv(self.out_channels, 3, "conv2")
        self.learnable_sc = self.in_channels != self.out_channels or self.resample
        self.conv_sc = self._conv(self.out_channels, 1, "conv_sc") if self.learnable_sc else None

    def call(self, x, training=False):
        h = tf.nn.relu(x) if self.preactivation else x
        h = self.conv1(h, training=training)
        h = self.conv2(tf.nn.relu(h), training=training)
        if self.resample:
            h = downsample2x(h)
        # The 1x1 shortcut conv and the 2x2 average pool commute (both linear,
        # the pool keeps constants), so pooling first is exact and 4x cheaper
        # for the preactivation blocks too.
        if self.resample:
            x = downsample2x(x)
        if self.conv_sc is not None:
            x = self.conv_sc(x, training=training)
        return h + x

    def get_config(self):
        config = super().get_config()
        config.update(preactivation=self.preactivation)
        return config


@keras.saving.register_keras_serializable(package="tfbiggan")
class DBlockDeep(_Block):
    """BigGAN-deep D block: ReLU-conv1x1(in->out/4)-ReLU-conv3x3-ReLU-conv3x3-ReLU-
    [avgpool]-conv1x1(->out); the skip is [avgpool], then concatenates a 1x1 conv
    that adds the missing (out - in) channels."""
    RESAMPLE_SCALE = 0.5

    def __init__(self, in_channels, out_channels, resample=False, **kwargs):
        super().__init__(in_channels, out_channels, resample, **kwargs)
        if self.out_channels < self.in_channels:
            raise ValueError("BigGAN-deep discriminator blocks never narrow: "
                             f"{self.in_channels} -> {self.out_channels}.")
        hidden = self.out_channels // 4
        self.conv1 = self._conv(hidden, 1, "conv1")
        self.conv2 = self._conv(hidden, 3, "conv2")
        self.conv3 = self._conv(hidden, 3, "conv3")
        self.conv4 = self._conv(self.out_channels, 1, "conv4")
        extra = self.out_channels - self.in_channels
        self.conv_sc = self._conv(extra, 1, "conv_sc") if extra else None

    def call(self, x, training=False):
        h = self.conv1(tf.nn.relu(x), training=training)
        h = self.conv2(tf.nn.relu(h), training=training)
        h = tf.nn.relu(self.conv3(tf.nn.relu(h), training=training))
        if self.resample:
            h, x = downsample2x(h), downsample2x(x)
        h = self.conv4(h, training=training)
        if self.conv_sc is not None:
            x = tf.concat([x, self.conv_sc(x, training=training)], axis=-1)
        return h + x
