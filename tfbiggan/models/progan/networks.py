"""Progressive GAN's generator and discriminator (Karras et al. 2018, Table 2
and Sec. 2), with every level built up front so that a checkpoint holds the
same variables from 4x4 to the final resolution.

Level l works at 4 * 2^l pixels. ``level`` picks the deepest active stage (a
Python int: each level is its own graph) and ``alpha`` in [0, 1] fades it in:
G outputs lerp(upsample(toRGB_{l-1}(h_{l-1})), toRGB_l(h_l), alpha) and D
reads lerp(fromRGB_{l-1}(avgpool(x)), stage_l(fromRGB_l(x)), alpha), with
lerp(a, b, t) = (1 - t) a + t b, so alpha = 0 is exactly, bit for bit, the
previous network (upsampled, for G) and alpha = 1 exactly the grown one.

G: [latent (+ one-hot label)] -> pixel norm -> equalised dense to 4x4
(gain sqrt(2)/4) -> LReLU(0.2) -> pixel norm -> conv 3x3 -> LReLU -> pixel
norm; each further stage: nearest x2, two (conv 3x3, LReLU, pixel norm);
toRGB: 1x1 conv, gain 1, linear. Images in [-1, 1] nominally, not clipped.

D: fromRGB (1x1 conv, LReLU); each stage: conv 3x3 -> LReLU -> conv 3x3 ->
LReLU -> 2x2 average pool; at 4x4: minibatch stddev -> conv 3x3 -> LReLU ->
dense -> LReLU -> dense (gain 1) to 1 score (+ one logit per class).
"""
import math

import keras
import tensorflow as tf

from tfbiggan.layers import EqualizedConv2D, EqualizedDense, MinibatchStddev, PixelNorm
from tfbiggan.layers.resampling import downsample2x, upsample2x
from tfbiggan.models.base import ConfiguredModel
from tfbiggan.models.progan.config import ProGANConfig

LEAK = 0.2


def _lrelu(x):
    return tf.nn.leaky_relu(x, LEAK)


def lerp(a, b, t):
    """(1 - t) a + t b: exactly a at t = 0 and exactly b at t = 1 (the form
    a + (b - a) t rounds at t = 1)."""
    t = tf.cast(t, a.dtype)
    return (1 - t) * a + t * b


def _check_level(config, level):
    level = config.num_levels - 1 if level is None else int(level)
    if not 0 <= level < config.num_levels:
        raise ValueError(f"level={level}: this ProGAN has levels 0..{config.num_levels - 1} "
                         f"(4x4 .. {config.resolution}x{config.resolution}).")
    return level


class _ProGANModel(ConfiguredModel):
    """A model built from a ProGANConfig, which its Keras config holds."""

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(ProGANConfig.from_dict(config.pop("config")), **config)


@keras.saving.register_keras_serializable(package="tfbiggan")
class ProGANGenerator(_ProGANModel):
    """G(z [B, z_dim], y [B, num_classes] one-hot (ignored when
    unconditional), level, alpha) -> images [B, r, r, 3], r = 4 * 2^level.

    In training (``training=True``) the output is toRGB's linear one, as in
    the paper. Otherwise it is clipped to [-1, 1], the image range, as the
    paper's code clips when it turns images into pixels for viewing and
    metrics (``convert_to_pil_image`` / ``adjust_dynamic_range``)."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        c = config
        self.pixel_norm = PixelNorm()
        self.dense = EqualizedDense(c.channels(0) * 16, gain=math.sqrt(2.0) / 4, name="dense")
        self.base_conv = EqualizedConv2D(c.channels(0), 3, name="conv_4x4")
        self.stages = [(EqualizedConv2D(c.channels(l), 3, name=f"conv0_{c.level_resolution(l)}"),
                        EqualizedConv2D(c.channels(l), 3, name=f"conv1_{c.level_resolution(l)}"))
                       for l in range(1, c.num_levels)]
        self.to_rgb = [EqualizedConv2D(3, 1, gain=1.0, name=f"to_rgb_{c.level_resolution(l)}")
                       for l in range(c.num_levels)]
        self.track([conv for stage in self.stages for conv in stage], self.to_rgb)

    def example_inputs(self):
        c = self.config
        y = tf.zeros([1, c.label_size]) if c.label_size else None
        return (tf.zeros([1, c.z_dim]), y), {"alpha": 0.5}

    def build(self, *shapes):
        """Creates every level's variables (one call on zeros at the last level,
        then the toRGB layers that call does not reach)."""
        if self.built:
            return
        super().build()
        c = self.config
        for l, layer in enumerate(self.to_rgb):
            if not layer.built:
                layer.build((None, None, None, c.channels(l)))
        self.built = True

    def call(self, z, y=None, level=None, alpha=1.0, training=None):
        c = self.config
        level = _check_level(c, level)
        x = tf.concat([z, tf.cast(y, z.dtype)], axis=-1) if c.label_size else z
        x = self.pixel_norm(x)
        x = tf.reshape(self.dense(x), [-1, 4, 4, c.channels(0)])
        x = self.pixel_norm(_lrelu(x))
        x = self.pixel_norm(_lrelu(self.base_conv(x)))
        previous = None
        for l in range(1, level + 1):
            previous = x
            conv0, conv1 = self.stages[l - 1]
            x = self.pixel_norm(_lrelu(conv0(upsample2x(x))))
            x = self.pixel_norm(_lrelu(conv1(x)))
        images = self.to_rgb[level](x)
        if level > 0:
            images = lerp(upsample2x(self.to_rgb[level - 1](previous)), images, alpha)
        return images if training else tf.clip_by_value(images, -1.0, 1.0)


@keras.saving.register_keras_serializable(package="tfbiggan")
class ProGANDiscriminator(_ProGANModel):
    """D(images [B, r, r, 3], y (unused: the classes are predicted, not
    read), level, alpha) -> logits [B, 1 + label_size]: column 0 the critic
    score, the rest class logits (conditional only). B must be a multiple of
    min(mbstd_group_size, B). The y argument keeps BigGAN's D(images, y)
    calling convention, so evaluation and export code call both alike."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        c = config
        self.from_rgb = [EqualizedConv2D(c.channels(l), 1, name=f"from_rgb_{c.level_resolution(l)}")
                         for l in range(c.num_levels)]
        self.stages = [(EqualizedConv2D(c.channels(l), 3, name=f"conv0_{c.level_resolution(l)}"),
                        EqualizedConv2D(c.channels(l - 1), 3,
                                        name=f"conv1_{c.level_resolution(l)}"))
                       for l in range(1, c.num_levels)]
        self.mbstd = MinibatchStddev(c.mbstd_group_size)
        self.final_conv = EqualizedConv2D(c.channels(0), 3, name="conv_4x4")
        self.dense0 = EqualizedDense(min(c.fmap_base, c.fmap_max), name="dense0")
        self.dense1 = EqualizedDense(1 + c.label_size, gain=1.0, name="dense1")
        self.track([conv for stage in self.stages for conv in stage], self.from_rgb)

    def example_inputs(self):
        c = self.config
        return (tf.zeros([1, c.resolution, c.resolution, 3]),), {"alpha": 0.5}

    def build(self, *shapes):
        """Creates every level's variables (one call on zeros at the last level,
        then the fromRGB layers that call does not reach)."""
        if self.built:
            return
        super().build()
        for layer in self.from_rgb:
            if not layer.built:
                layer.build((None, None, None, 3))
        self.built = True

    def call(self, images, y=None, level=None, alpha=1.0, training=None):
        level = _check_level(self.config, level)
        x = _lrelu(self.from_rgb[level](images))
        for l in range(level, 0, -1):
            conv0, conv1 = self.stages[l - 1]
            x = downsample2x(_lrelu(conv1(_lrelu(conv0(x)))))
            if l == level:
                skip = _lrelu(self.from_rgb[l - 1](downsample2x(images)))
                x = lerp(skip, x, alpha)
        x = _lrelu(self.final_conv(self.mbstd(x)))
        x = tf.reshape(x, [-1, 16 * self.config.channels(0)])
        return self.dense1(_lrelu(self.dense0(x)))


def real_images_at(images, level, alpha, final_level):
    """The real batch as D sees it at ``level`` during a fade (Sec. 2):
    average-pooled from the final resolution to 4 * 2^level, then blended
    with its own x2 down-and-up copy by 1 - alpha, as G's output is.
    images [B, R, R, 3] -> [B, r, r, 3]."""
    for _ in range(final_level - level):
        images = downsample2x(images)
    if level == 0:
        return images
    return lerp(upsample2x(downsample2x(images)), images, alpha)
