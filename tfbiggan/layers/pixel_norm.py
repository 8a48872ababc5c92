"""Pixelwise feature vector normalisation (Karras et al. 2018, Sec. 4.2):
b_{x,y} = a_{x,y} / sqrt(1/N sum_j (a^j_{x,y})^2 + eps), eps = 1e-8, over
the N channels at each pixel. Used in G after every conv (and on the latent)."""
import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfbiggan")
class PixelNorm(keras.layers.Layer):
    """Any input [..., N]; same shape out, with unit mean square over the last
    axis (up to eps)."""

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x):
        mean_square = tf.reduce_mean(tf.square(tf.cast(x, tf.float32)), axis=-1, keepdims=True)
        return x * tf.cast(tf.math.rsqrt(mean_square + self.epsilon), x.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(epsilon=self.epsilon)
        return config
