"""Equalised learning rate (Karras et al. 2018, Sec. 4.1).

Weights are stored as w ~ N(0, 1) and scaled at every call by He's per-layer
constant c = gain / sqrt(fan_in) (gain sqrt(2) before a (leaky) ReLU; the
paper's code uses 1 for toRGB and D's output, sqrt(2) / 4 for G's first
dense layer). The effective weight is w_hat = c * w. Because Adam's step is
invariant to the gradient's scale, each stored weight moves by about the
learning rate whatever the fan-in, so every layer learns at the same speed;
the effective weight's step is then c * lr, proportional to its own scale.
Biases start at zero and are not scaled.
"""
import math

import keras
import tensorflow as tf


def he_constant(fan_in, gain=math.sqrt(2.0)):
    """c = gain / sqrt(fan_in), the runtime scale of an equalised weight."""
    return float(gain) / math.sqrt(float(fan_in))


class _Equalized(keras.layers.Layer):
    def __init__(self, units, gain=math.sqrt(2.0), use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.gain = float(gain)
        self.use_bias = bool(use_bias)

    def _add_weights(self, shape, fan_in):
        self.scale = he_constant(fan_in, self.gain)
        self.kernel = self.add_weight(name="kernel", shape=shape,
                                      initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = (self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
                     if self.use_bias else None)

    def effective_kernel(self, dtype=tf.float32):
        """c * w, the kernel the layer applies."""
        return tf.cast(self.kernel, dtype) * tf.cast(self.scale, dtype)

    def _add_bias(self, x):
        return x if self.bias is None else x + tf.cast(self.bias, x.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, gain=self.gain, use_bias=self.use_bias)
        return config


@keras.saving.register_keras_serializable(package="tfbiggan")
class EqualizedDense(_Equalized):
    """Input [batch, fan_in]; output [batch, units] = x (c w) + b."""

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self._add_weights((fan_in, self.units), fan_in)

    def call(self, x):
        return self._add_bias(tf.matmul(x, self.effective_kernel(x.dtype)))


@keras.saving.register_keras_serializable(package="tfbiggan")
class EqualizedConv2D(_Equalized):
    """Input [batch, H, W, C]; output [batch, H, W, units], 'same' padding,
    stride 1; fan_in = kernel_size^2 * C."""

    def __init__(self, units, kernel_size=3, gain=math.sqrt(2.0), use_bias=True, **kwargs):
        super().__init__(units, gain, use_bias, **kwargs)
        self.kernel_size = int(kernel_size)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        k = self.kernel_size
        self._add_weights((k, k, channels, self.units), k * k * channels)

    def call(self, x):
        y = tf.nn.conv2d(x, self.effective_kernel(x.dtype), strides=1, padding="SAME")
        return self._add_bias(y)

    def get_config(self):
        config = super().get_config()
        config.update(kernel_size=self.kernel_size)
        return config
