"""Minibatch discrimination (Salimans et al. 2016, Sec. 3.2).

For features f(x_i) in R^A of the n examples of a minibatch, a learned tensor
T in R^{A x B x C} gives M_i = f(x_i) T in R^{B x C}; for each kernel b,
c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_L1) and
o(x_i)_b = sum_{j=1}^{n} c_b(x_i, x_j) (the paper's sum includes j = i). The
layer returns [f(x_i), o(x_i)], so D sees how close each example is to the
others in its minibatch and can spot a collapsed generator.

The minibatch is whatever the layer is called on: the local batch of one
replica, which is why the discriminator is called on real and fake images
separately when this layer is in use.
"""
import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfbiggan")
class MinibatchDiscrimination(keras.layers.Layer):
    """Input [n, A]; output [n, A + num_kernels].

    Args:
      num_kernels: B, the number of closeness features appended.
      kernel_dim: C, the width of each kernel's projection.
    """

    def __init__(self, num_kernels=100, kernel_dim=5, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(int(input_shape[-1]), self.num_kernels * self.kernel_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.05))

    def call(self, features):
        m = tf.reshape(tf.matmul(features, tf.cast(self.kernel, features.dtype)),
                       [-1, self.num_kernels, self.kernel_dim])
        # [n, n, B] L1 distances between every pair of rows, per kernel.
        distances = tf.reduce_sum(tf.abs(m[:, None] - m[None, :]), axis=-1)
        closeness = tf.reduce_sum(tf.exp(-distances), axis=1)
        return tf.concat([features, closeness], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (int(input_shape[-1]) + self.num_kernels,)

    def get_config(self):
        config = super().get_config()
        config.update(num_kernels=self.num_kernels, kernel_dim=self.kernel_dim)
        return config
