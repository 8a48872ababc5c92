"""Spectral normalisation as in SNGAN / BigGAN.

W_sn = W / sigma(W), with sigma estimated by power iteration against a persistent,
non-trainable vector ``u``. The division happens on the fly in every call, so
gradients flow through sigma (unlike ``keras.layers.SpectralNormalization``,
which assigns W/sigma into the kernel in place and drops d(sigma)/dW).

Kernels are viewed as matrices of shape [fan_in, out] (a conv kernel
[kh, kw, in, out] becomes [kh*kw*in, out]); ``u`` has length ``out``.
"""
import keras
import numpy as np
import tensorflow as tf

from tfbiggan.layers.initializers import FastOrthogonal


def _l2_normalize(x, epsilon):
    """x / max(||x||, epsilon), the convention of torch.nn.utils.spectral_norm."""
    return x / tf.maximum(tf.norm(x), epsilon)


def power_iteration(matrix, u, num_iterations, epsilon):
    """Runs power iteration on ``matrix`` [K, N] from ``u`` [N].

    Returns (sigma, u_new): sigma is a scalar that is differentiable with respect
    to ``matrix``; u and v are held constant for the gradient, as in the paper.
    """
    u = tf.stop_gradient(u)
    v = None
    for _ in range(max(1, num_iterations)):
        v = _l2_normalize(tf.linalg.matvec(matrix, u), epsilon)
        u = _l2_normalize(tf.linalg.matvec(matrix, v, transpose_a=True), epsilon)
    u, v = tf.stop_gradient(u), tf.stop_gradient(v)
    sigma = tf.tensordot(v, tf.linalg.matvec(matrix, u), axes=1)
    return sigma, u


def top_singular_values(weight, k=2):
    """The k largest singular values of any weight, viewed as [fan_in, out].

    For monitoring (BigGAN watches sigma_0 and sigma_0 / sigma_1). Returns a
    float32 tensor [min(k, rank)], largest first.
    """
    weight = tf.convert_to_tensor(weight, tf.float32)
    matrix = tf.reshape(weight, [-1, weight.shape[-1]])
    s = tf.linalg.svd(matrix, compute_uv=False)
    return s[:k]


class _SpectralNormKernelMixin:
    """Holds ``u`` and turns the raw kernel into W / sigma.

    The raw kernel is created with ``autocast=False`` so that sigma is always
    computed in float32, even under a mixed-precision policy.
    """

    def _init_sn(self, power_iterations, sn_epsilon):
        if power_iterations < 1:
            raise ValueError(
                f"power_iterations must be >= 1, got {power_iterations}.")
        self.power_iterations = int(power_iterations)
        self.sn_epsilon = float(sn_epsilon)

    def _build_u(self, out_dim):
        # u must stay identical on every replica: all replicas compute the same
        # update from the same W and u, and only the first replica's is kept.
        self.sn_u = self.add_weight(
            name="sn_u", shape=(out_dim,), trainable=False,
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            aggregation="only_first_replica")

    def _kernel_matrix(self):
        kernel = tf.convert_to_tensor(self.kernel.value)
        return tf.reshape(kernel, [-1, kernel.shape[-1]])

    def sigma(self):
        """Current sigma estimate from the stored u, without updating it."""
        sigma, _ = power_iteration(self._kernel_matrix(), self.sn_u.value,
                                   1, self.sn_epsilon)
        return sigma

    def normalized_kernel(self, training=False):
        """W / sigma in float32. In training, u is updated in place."""
        kernel = tf.convert_to_tensor(self.kernel.value)
        matrix = tf.reshape(kernel, [-1, kernel.shape[-1]])
        iters = self.power_iterations if training else 1
        sigma, u = power_iteration(matrix, self.sn_u.value, iters, self.sn_epsilon)
        if training:
            self.sn_u.assign(u)
        return kernel / sigma


class SNDense(_SpectralNormKernelMixin, keras.layers.Layer):
    """Spectrally normalised dense layer.

    Args:
      units: output width.
      use_bias: add a bias after the normalised matmul.
      power_iterations: power iterations per training call (paper: 1).
      sn_epsilon: floor on vector norms in the power iteration.

    Input [..., in]; output [..., units].
    """

    def __init__(self, units, use_bias=True, power_iterations=1, sn_epsilon=1e-4,
                 kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or FastOrthogonal())
        self._init_sn(power_iterations, sn_epsilon)

    def build(self, input_shape):
        in_dim = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel", shape=(in_dim, self.units),
            initializer=self.kernel_initializer, autocast=False)
        self.bias = (self.add_weight(name="bias", shape=(self.units,),
                                     initializer="zeros")
                     if self.use_bias else None)
        self._build_u(self.units)

    def call(self, inputs, training=False):
        kernel = tf.cast(self.normalized_kernel(training), inputs.dtype)
        out = tf.matmul(inputs, kernel) if inputs.shape.rank == 2 else tf.tensordot(
            inputs, kernel, axes=1)
        if self.bias is not None:
            out = out + tf.cast(self.bias, out.dtype)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, use_bias=self.use_bias,
                      power_iterations=self.power_iterations,
                      sn_epsilon=self.sn_epsilon,
                      kernel_initializer=keras.initializers.serialize(
                          self.kernel_initializer))
        return config


class SNConv2D(_SpectralNormKernelMixin, keras.layers.Layer):
    """Spectrally normalised 2-D convolution, NHWC, stride 1, 'same' padding.

    Input [batch, H, W, in]; output [batch, H, W, filters].
    """

    def __init__(self, filters, kernel_size=3, use_bias=True, power_iterations=1,
                 sn_epsilon=1e-4, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or FastOrthogonal())
        self._init_sn(power_iterations, sn_epsilon)

    def build(self, input_shape):
        in_dim = int(input_shape[-1])
        k = self.kernel_size
        self.kernel = self.add_weight(
            name="kernel", shape=(k, k, in_dim, self.filters),
            initializer=self.kernel_initializer, autocast=False)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,),
                                     initializer="zeros")
                     if self.use_bias else None)
        self._build_u(self.filters)

    def call(self, inputs, training=False):
        kernel = tf.cast(self.normalized_kernel(training), inputs.dtype)
        if self.kernel_size == 1:
            # A 1x1 conv is a matmul over channels; oneDNN runs that faster.
            out = tf.tensordot(inputs, kernel[0, 0], axes=1)
        else:
            out = tf.nn.conv2d(inputs, kernel, strides=1, padding="SAME")
        if self.bias is not None:
            out = out + tf.cast(self.bias, out.dtype)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size,
                      use_bias=self.use_bias,
                      power_iterations=self.power_iterations,
                      sn_epsilon=self.sn_epsilon,
                      kernel_initializer=keras.initializers.serialize(
                          self.kernel_initializer))
        return config


def spectral_norm_layers(model):
    """All SNDense / SNConv2D layers inside ``model``, in creation order."""
    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, _SpectralNormKernelMixin)]


def numpy_top_singular_value(weight):
    """Reference: the largest singular value with numpy (for tests/monitoring)."""
    w = np.asarray(weight, np.float64)
    return float(np.linalg.svd(w.reshape(-1, w.shape[-1]), compute_uv=False)[0])
