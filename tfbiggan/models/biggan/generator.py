"""BigGAN and BigGAN-deep generators, called as G(z, y[, truncation]).

Inputs:  z [batch, z_dim] float32; y [batch, num_classes] float32, one-hot or a
         soft mix of classes (the tfhub.dev interface).
Output:  images [batch, R, R, 3] float32 in [-1, 1], NHWC.

``truncation`` (inference only): None uses the batch norms' moving averages; a
scalar in [0, 1] uses the standing statistics stored for that truncation,
linearly interpolated, as the tfhub.dev modules do. Standing statistics are
filled by ``tfbiggan.models.biggan.standing.accumulate_standing_stats``; until
then a call with a truncation raises ``MissingStandingStatsError`` instead of
normalising with the initial mean 0 / variance 1. A Python-number truncation
outside [0, 1] is an error; a tensor is clamped (``tfbiggan.truncation``).

Layer names: ``linear`` (z -> 4x4), ``shared_embedding``, blocks ``block0``,
``block1``, ... in call order, ``attention`` (between two blocks), ``out_bn``
and ``out_conv``.
"""
import contextlib

import keras
import tensorflow as tf

from tfbiggan.errors import InputError
from tfbiggan.layers import (ConditionalBatchNorm, SelfAttention, StandingBatchNorm,
                             conv2d, dense)
from tfbiggan.layers.initializers import FastOrthogonal
from tfbiggan.models.base import ConfiguredModel
from tfbiggan.models.biggan.blocks import GBlock, GBlockDeep
from tfbiggan.models.biggan.config import G_STAGES, as_config
from tfbiggan.truncation import check_truncation


class MissingStandingStatsError(InputError):
    """A truncation was requested from a generator without standing statistics."""

    # AutoGraph re-raises an error from a traced function under its own type
    # only when that type's constructor is Exception's; otherwise the caller
    # of a tf.function sees a generic StagingError.
    __init__ = Exception.__init__


@keras.saving.register_keras_serializable(package="tfbiggan")
class Generator(ConfiguredModel):
    """BigGAN (hierarchical z, shared embedding) or BigGAN-deep generator."""

    def __init__(self, config, **kwargs):
        super().__init__(as_config(config), **kwargs)
        cfg = self.config
        sn = dict(power_iterations=cfg.power_iterations, sn_epsilon=cfg.sn_epsilon,
                  spectral_norm=cfg.g_spectral_norm, dtype=self.dtype_policy)
        in_mults, out_mults = G_STAGES[cfg.resolution]
        # BigGAN's shared class embedding feeds spectrally normalised gain and
        # bias projections; without it (SAGAN, SNGAN) each batch norm embeds the
        # class itself: a bias-free linear map of y without spectral norm.
        self.shared_embedding = (keras.layers.Dense(
            cfg.embed_dim, use_bias=False, kernel_initializer=FastOrthogonal(),
            name="shared_embedding", dtype=self.dtype_policy)
            if cfg.g_shared_embedding else None)
        self.linear = dense(4 * 4 * in_mults[0] * cfg.g_ch, name="linear", **sn)

        block_args = dict(bn_epsilon=cfg.bn_epsilon, bn_momentum=cfg.bn_momentum,
                          condition_spectral_norm=cfg.g_spectral_norm
                          and cfg.g_shared_embedding, **sn)
        self.blocks = []
        count = 0
        resolution = 4
        for i, o in zip(in_mults, out_mults):
            cin, cout = i * cfg.g_ch, o * cfg.g_ch
            if cfg.is_deep:
                self.blocks.append(GBlockDeep(cin, cin, resample=False,
                                              name=f"block{count}", **block_args))
                count += 1
                self.blocks.append(GBlockDeep(cin, cout, resample=True,
                                              name=f"block{count}", **block_args))
            else:
                self.blocks.append(GBlock(cin, cout, resample=True,
                                          name=f"block{count}", **block_args))
            count += 1
            resolution *= 2
            if resolution == cfg.g_attention:
                self.blocks.append(SelfAttention(name="attention", **sn))
        self.track(self.blocks)
        self.out_channels = out_mults[-1] * cfg.g_ch
        self.out_bn = StandingBatchNorm(epsilon=cfg.bn_epsilon, momentum=cfg.bn_momentum,
                                        name="out_bn", dtype=self.dtype_policy)
        # BigGAN-deep convolves to all channels and keeps the first three.
        self.out_conv = conv2d(self.out_channels if cfg.is_deep else 3, 3,
                                 name="out_conv", **sn)
        self.standing_ready = self.add_weight(
            name="standing_ready", shape=(), initializer="zeros", trainable=False,
            aggregation="only_first_replica")

    # --- building and inputs --------------------------------------------------

    def example_inputs(self):
        cfg = self.config
        return (tf.zeros([1, cfg.z_dim]), tf.zeros([1, cfg.num_classes])), {}

    def _check_inputs(self, z, y):
        cfg = self.config
        if z.shape.rank != 2 or z.shape[-1] != cfg.z_dim:
            raise ValueError(f"z must be [batch, {cfg.z_dim}], got {z.shape}.")
        if y.shape.rank != 2 or y.shape[-1] != cfg.num_classes:
            raise ValueError(
                f"y must be [batch, {cfg.num_classes}] (one-hot or soft class "
                f"weights), got {y.shape}. Use tfbiggan.sampling.one_hot(labels, "
                f"{cfg.num_classes}) for integer labels.")

    def _require_standing_stats(self, truncation):
        # Read eagerly, also while tracing: the flag only ever goes from 0 to 1,
        # so a function traced after the statistics exist stays valid.
        with tf.init_scope():
            ready = float(tf.convert_to_tensor(self.standing_ready)) > 0
        if not ready:
            shown = (f"{float(truncation):g}" if isinstance(truncation, (int, float))
                     else "<tensor>")
            raise MissingStandingStatsError(
                f"Generator {self.name!r} has no standing batch-norm statistics, so "
                f"truncation={shown} would normalise with mean 0 and variance 1. "
                "Fill them first with tfbiggan.models.biggan.standing."
                "accumulate_standing_stats(generator) or `python -m tfbiggan.evaluate "
                "standing --model_dir=RUN`, "
                "or call with truncation=None to use the moving averages.")

    # --- forward --------------------------------------------------------------

    def call(self, z, y, truncation=None, training=False):
        cfg = self.config
        z = tf.convert_to_tensor(z)
        y = tf.convert_to_tensor(y)
        self._check_inputs(z, y)
        z = tf.cast(z, self.compute_dtype)
        y = tf.cast(y, self.compute_dtype)
        embedding = y if self.shared_embedding is None else self.shared_embedding(y)
        if cfg.uses_z_chunks:
            chunks = tf.split(z, cfg.num_z_chunks, axis=-1)
            first = chunks[0]
            conds = [tf.concat([c, embedding], axis=-1) for c in chunks[1:]]
        elif cfg.is_deep:
            first = tf.concat([z, embedding], axis=-1)
            conds = [first] * cfg.num_stages
        else:
            # Non-hierarchical BigGAN: z feeds only the first linear layer and
            # the batch norms see the class embedding alone (BigGAN-PyTorch).
            first = z
            conds = [embedding] * cfg.num_stages
        if truncation is not None and not training:
            if isinstance(truncation, (int, float)):
                check_truncation(truncation)
            self._require_standing_stats(truncation)
        if truncation is not None:
            truncation = tf.convert_to_tensor(truncation, tf.float32)

        h = self.linear(first, training=training)
        h = tf.reshape(h, [-1, 4, 4, h.shape[-1] // 16])
        stage = 0
        for block in self.blocks:
            if isinstance(block, SelfAttention):
                h = block(h, training=training)
                continue
            h = block(h, conds[stage], training=training, truncation=truncation)
            if block.resample:
                stage += 1
        h = tf.nn.relu(self.out_bn(h, training=training, truncation=truncation))
        # BigGAN-deep keeps 3 of its ch output channels: compute only those.
        h = self.out_conv(h, training=training, channels=3)
        return tf.tanh(tf.cast(h, tf.float32))

    # --- standing statistics --------------------------------------------------

    def batch_norm_layers(self):
        """Every batch norm of the generator, conditional or not, in call order."""
        return [layer for layer in self._flatten_layers(include_self=False)
                if isinstance(layer, StandingBatchNorm)]

    @contextlib.contextmanager
    def accumulating_standing_stats(self):
        """Within this context, training-mode calls sum batch moments into each
        batch norm's accumulators instead of updating the moving averages."""
        layers = self.batch_norm_layers()
        for layer in layers:
            layer.reset_accumulators()
            layer.accumulate_standing = True
        try:
            yield layers
        finally:
            for layer in layers:
                layer.accumulate_standing = False

    def class_embedding_weights(self):
        """The class embeddings: the shared one, or each batch norm's own;
        BigGAN's orthogonal regularisation leaves them out."""
        if self.shared_embedding is not None:
            return [self.shared_embedding.kernel]
        return [layer.kernel for bn in self.batch_norm_layers()
                if isinstance(bn, ConditionalBatchNorm) for layer in (bn.scale, bn.offset)]

    @contextlib.contextmanager
    def virtual_batch_norm(self, reference_size):
        """Within this context, training-mode calls treat the first
        ``reference_size`` rows of z and y as the virtual-batch-norm reference
        batch (see ``tfbiggan.layers.batch_norm``); callers put it there and
        drop those rows of the output."""
        layers = self.batch_norm_layers()
        for layer in layers:
            layer.virtual_reference = int(reference_size)
        try:
            yield
        finally:
            for layer in layers:
                layer.virtual_reference = None

    def get_config(self):
        return {"config": self.config.to_dict(), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
