"""Projection discriminators of BigGAN and BigGAN-deep, called as D(x, y).

Inputs:  images [batch, R, R, 3] float32 in [-1, 1]; y [batch, num_classes]
         float32 (one-hot or soft).
Output:  logits [batch] float32: linear(h) + sum(embed(y) * h), where h is the
         globally sum-pooled ReLU of the last block (Miyato & Koyama 2018),
         with minibatch-discrimination features appended when configured
         (Salimans et al. 2016). With ``d_minibatch_stddev`` the last block
         reads one more feature map, the minibatch standard deviation
         (Karras et al. 2018). An unconditional D (num_classes 1) has no
         projection: logits = linear(h), as SNGAN's unconditional D.

Layer names: ``stem`` (BigGAN-deep), blocks ``block0``, ``block1``, ... in call
order, ``attention`` (between two blocks), ``minibatch_stddev`` (before the
last block), ``minibatch``, ``linear`` and ``embed``.
"""
import keras
import tensorflow as tf

from tfbiggan.layers import (MinibatchDiscrimination, MinibatchStddev, SelfAttention,
                             conv2d, dense)
from tfbiggan.models.biggan.blocks import DBlock, DBlockDeep
from tfbiggan.models.base import ConfiguredModel
from tfbiggan.models.biggan.config import D_BLOCKS, D_DEEP_STAGES, as_config


@keras.saving.register_keras_serializable(package="tfbiggan")
class Discriminator(ConfiguredModel):
    """BigGAN (wide residual) or BigGAN-deep (bottleneck) projection D."""

    def __init__(self, config, **kwargs):
        super().__init__(as_config(config), **kwargs)
        cfg = self.config
        sn = dict(power_iterations=cfg.power_iterations, sn_epsilon=cfg.sn_epsilon,
                  spectral_norm=cfg.d_spectral_norm, dtype=self.dtype_policy)
        self.stem = None
        self.blocks = []
        resolution = cfg.resolution
        if cfg.is_deep:
            ins, outs, downs = D_DEEP_STAGES[cfg.resolution]
            self.stem = conv2d(ins[0] * cfg.d_ch, 3, name="stem", **sn)
            for stage, (i, o, down) in enumerate(zip(ins, outs, downs)):
                for depth in range(2):
                    cin = (i if depth == 0 else o) * cfg.d_ch
                    self.blocks.append(DBlockDeep(
                        cin, o * cfg.d_ch, resample=down and depth == 0,
                        name=f"block{2 * stage + depth}", **sn))
                resolution //= 2 if down else 1
                if resolution == cfg.d_attention:
                    self.blocks.append(SelfAttention(name="attention", **sn))
        else:
            outs, downs = D_BLOCKS[cfg.resolution]
            cin = 3
            for index, (o, down) in enumerate(zip(outs, downs)):
                if cfg.d_minibatch_stddev and index == len(outs) - 1:
                    self.blocks.append(MinibatchStddev(cfg.d_minibatch_stddev,
                                                       name="minibatch_stddev",
                                                       dtype=self.dtype_policy))
                    cin += 1
                self.blocks.append(DBlock(cin, o * cfg.d_ch, resample=down,
                                          preactivation=index > 0,
                                          name=f"block{index}", **sn))
                cin = o * cfg.d_ch
                resolution //= 2 if down else 1
                if down and resolution == cfg.d_attention:
                    self.blocks.append(SelfAttention(name="attention", **sn))
        self.track(self.blocks)
        features = outs[-1] * cfg.d_ch
        self.minibatch = None
        if cfg.d_minibatch_kernels:
            self.minibatch = MinibatchDiscrimination(
                cfg.d_minibatch_kernels, cfg.d_minibatch_kernel_dim, name="minibatch",
                dtype=self.dtype_policy)
            features += cfg.d_minibatch_kernels
        self.linear = dense(1, name="linear", **sn)
        # With one class the projection would only repeat `linear`.
        self.embed = (dense(features, use_bias=False, name="embed", **sn)
                      if cfg.num_classes > 1 else None)

    def example_inputs(self):
        cfg = self.config
        return (tf.zeros([1, cfg.resolution, cfg.resolution, 3]),
                tf.zeros([1, cfg.num_classes])), {}

    def call(self, x, y, training=False, return_features=False):
        """Logits [batch]; with ``return_features`` also the pooled features
        [batch, C] of the last block (before minibatch discrimination), the
        intermediate layer of feature matching."""
        cfg = self.config
        x = tf.convert_to_tensor(x)
        y = tf.convert_to_tensor(y)
        r = cfg.resolution
        if x.shape.rank != 4 or tuple(x.shape[1:]) != (r, r, 3):
            raise ValueError(f"images must be [batch, {r}, {r}, 3], got {x.shape}.")
        if y.shape.rank != 2 or y.shape[-1] != cfg.num_classes:
            raise ValueError(f"y must be [batch, {cfg.num_classes}], got {y.shape}.")
        h = tf.cast(x, self.compute_dtype)
        if self.stem is not None:
            h = self.stem(h, training=training)
        for block in self.blocks:
            h = block(h) if isinstance(block, MinibatchStddev) else block(h, training=training)
        features = tf.reduce_sum(tf.nn.relu(h), axis=[1, 2])
        h = features if self.minibatch is None else self.minibatch(features)
        out = self.linear(h, training=training)[:, 0]
        if self.embed is not None:
            out += tf.reduce_sum(
                self.embed(tf.cast(y, self.compute_dtype), training=training) * h, axis=-1)
        logits = tf.cast(out, tf.float32)
        return (logits, tf.cast(features, tf.float32)) if return_features else logits

    def get_config(self):
        return {"config": self.config.to_dict(), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
