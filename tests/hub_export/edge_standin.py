"""A tiny stand-in for the exported BigGAN SavedModel (test fixture only).

It follows the same signature contract as `python -m hub_export.export`:

* ``default``: ``z`` float32 [batch, Z_DIM], ``y`` float32 [batch, NUM_CLASSES]
  (one-hot), ``truncation`` float32 scalar [] in [0, 1]
  -> ``{'default': images}`` float32 [batch, RES, RES, 3] in [-1, 1].
* ``discriminator``: ``images`` float32 [batch, RES, RES, 3], ``y`` float32
  [batch, NUM_CLASSES] -> ``{'logits': logits}`` float32 [batch].

The batch is dynamic, weights are read-only variables, and the "standing
statistics" are a constant table indexed by truncation through hat-function
weights ``relu(1 - |grid - t| * 50)`` over 51 grid points (linear
interpolation between neighbouring grid points), the same trick the real
exporter uses to stay free of control flow.
"""
import numpy as np
import tensorflow as tf

Z_DIM = 8
NUM_CLASSES = 5
CHANNELS = 6
BASE = 4          # spatial size before the nearest upsample
RES = 2 * BASE    # output resolution
GRID_POINTS = 51  # truncation grid 0, 0.02, ..., 1.0


class StandInGenerator(tf.Module):
    """Conditional generator + projection discriminator with fixed weights."""

    def __init__(self, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)

        def var(shape, scale):
            return tf.Variable(rng.normal(0.0, scale, shape).astype(np.float32),
                               trainable=False)

        feat = BASE * BASE * CHANNELS
        self.dense_w = var([Z_DIM + NUM_CLASSES, feat], 0.5)
        self.dense_b = var([feat], 0.1)
        self.conv_w = var([3, 3, CHANNELS, 3], 0.15)
        self.conv_b = var([3], 0.05)
        grid = np.linspace(0.0, 1.0, GRID_POINTS, dtype=np.float32)
        # Standing statistics that vary smoothly with truncation.
        self._grid = tf.constant(grid)
        self._mean_table = tf.constant(
            (np.outer(grid, rng.normal(0, 0.3, feat))).astype(np.float32))
        self._var_table = tf.constant(
            (1.0 + np.outer(grid, rng.uniform(0, 2.0, feat))).astype(np.float32))
        self.d_conv_w = var([3, 3, 3, 8], 0.3)
        self.d_out_w = var([8, 1], 0.3)
        self.d_embed = var([NUM_CLASSES, 8], 0.3)

    def _standing_stats(self, truncation):
        """Interpolate the [51, F] tables at scalar `truncation` -> two [F] rows."""
        hat = tf.nn.relu(1.0 - tf.abs(self._grid - truncation) * 50.0)  # [51]
        hat = hat[tf.newaxis, :]                                        # [1, 51]
        mean = tf.matmul(hat, self._mean_table)                         # [1, F]
        var = tf.matmul(hat, self._var_table)
        return mean, var

    @tf.function(input_signature=[
        tf.TensorSpec([None, Z_DIM], tf.float32, name="z"),
        tf.TensorSpec([None, NUM_CLASSES], tf.float32, name="y"),
        tf.TensorSpec([], tf.float32, name="truncation"),
    ])
    def generate(self, z, y, truncation):
        h = tf.matmul(tf.concat([z, y], axis=1), self.dense_w) + self.dense_b
        mean, var = self._standing_stats(truncation)
        h = tf.nn.relu((h - mean) * tf.math.rsqrt(var + 1e-4))
        h = tf.reshape(h, [-1, BASE, BASE, CHANNELS])
        h = tf.image.resize(h, [RES, RES], method="nearest")
        h = tf.nn.conv2d(h, self.conv_w, strides=1, padding="SAME") + self.conv_b
        return {"default": tf.tanh(h)}

    @tf.function(input_signature=[
        tf.TensorSpec([None, RES, RES, 3], tf.float32, name="images"),
        tf.TensorSpec([None, NUM_CLASSES], tf.float32, name="y"),
    ])
    def discriminate(self, images, y):
        h = tf.nn.relu(tf.nn.conv2d(images, self.d_conv_w, strides=1, padding="SAME"))
        h = tf.reduce_sum(h, axis=[1, 2])                                   # [b, 8]
        logits = tf.squeeze(tf.matmul(h, self.d_out_w), axis=1)
        logits += tf.reduce_sum(tf.matmul(y, self.d_embed) * h, axis=1)
        return {"logits": logits}


def write_standin_saved_model(path, seed=0, with_default=True):
    """Write the stand-in SavedModel to `path`; returns `path`.

    With ``with_default=False`` only the ``discriminator`` signature is
    written, which the converters must reject with a clear error.
    """
    module = StandInGenerator(seed)
    signatures = {"discriminator": module.discriminate}
    if with_default:
        signatures["default"] = module.generate
    tf.saved_model.save(module, str(path), signatures=signatures)
    return str(path)
