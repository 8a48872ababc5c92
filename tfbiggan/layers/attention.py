"""SAGAN self-attention, as used in BigGAN (Zhang et al. 2019).

theta, phi: SN 1x1 convs to C/8; g: SN 1x1 conv to C/2; phi and g are 2x2
max-pooled. beta = softmax(theta phi^T) over the pooled positions; o = SN 1x1
conv of (beta g) back to C; out = x + gamma * o with gamma initialised to 0.
All four convs are spectrally normalised and have no bias.
"""
import keras
import tensorflow as tf

from tfbiggan.layers.spectral_norm import conv2d


@keras.saving.register_keras_serializable(package="tfbiggan")
class SelfAttention(keras.layers.Layer):
    """Input and output [batch, H, W, C]; H and W must be even, C divisible by 8."""

    def __init__(self, power_iterations=1, sn_epsilon=1e-4, spectral_norm=True, **kwargs):
        super().__init__(**kwargs)
        self.power_iterations = power_iterations
        self.sn_epsilon = sn_epsilon
        self.spectral_norm = bool(spectral_norm)

    def build(self, input_shape):
        c = int(input_shape[-1])
        if c % 8:
            raise ValueError(f"{self.name}: channels must be divisible by 8, got {c}.")
        sn = dict(kernel_size=1, use_bias=False,
                  power_iterations=self.power_iterations, sn_epsilon=self.sn_epsilon,
                  spectral_norm=self.spectral_norm, dtype=self.dtype_policy)
        self.theta = conv2d(c // 8, name="theta", **sn)
        self.phi = conv2d(c // 8, name="phi", **sn)
        self.g = conv2d(c // 2, name="g", **sn)
        self.o = conv2d(c, name="o", **sn)
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, x, training=False):
        shape = tf.shape(x)
        b, h, w = shape[0], shape[1], shape[2]
        c = x.shape[-1]
        theta = tf.reshape(self.theta(x, training=training), [b, h * w, c // 8])
        pool = lambda t: tf.nn.max_pool2d(t, 2, 2, "VALID")  # noqa: E731
        phi = tf.reshape(pool(self.phi(x, training=training)), [b, -1, c // 8])
        g = tf.reshape(pool(self.g(x, training=training)), [b, -1, c // 2])
        beta = tf.nn.softmax(tf.matmul(theta, phi, transpose_b=True), axis=-1)
        o = tf.reshape(tf.matmul(beta, g), [b, h, w, c // 2])
        o = self.o(o, training=training)
        return x + tf.cast(self.gamma, x.dtype) * o

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(power_iterations=self.power_iterations,
                      sn_epsilon=self.sn_epsilon, spectral_norm=self.spectral_norm)
        return config
