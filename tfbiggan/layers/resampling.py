"""Nearest-neighbour x2 upsampling and 2x2 average pooling, NHWC.

The upsample duplicates pixels with stack + reshape rather than
``tf.image.resize``: the gradient of ResizeNearestNeighbor has no XLA CPU
kernel (so ``--jit_compile`` training failed), while Pack and Reshape are
differentiable everywhere and are builtins in TFLite and TF.js.
"""
import tensorflow as tf


def upsample2x(x):
    """Nearest-neighbour x2: [B, H, W, C] -> [B, 2H, 2W, C]."""
    shape = tf.shape(x)
    b, h, w, c = shape[0], shape[1], shape[2], x.shape[-1]
    x = tf.reshape(tf.stack([x, x], axis=3), [b, h, 2 * w, c])
    return tf.reshape(tf.stack([x, x], axis=2), [b, 2 * h, 2 * w, c])


def downsample2x(x):
    """2x2 average pool: [B, H, W, C] -> [B, H/2, W/2, C]."""
    return tf.nn.avg_pool2d(x, 2, 2, "VALID")
