"""Spectral normalisation as in SNGAN / BigGAN.

W_sn = W / sigma(W), with sigma estimated by power iteration against a persistent,
non-trainable vector ``u``. The division happens on the fly in every call, so
gradients flow through sigma (unlike ``keras.layers.SpectralNormalization``,
which assigns W/sigma into the kernel in place and drops d(sigma)/dW).

Kernels are viewed as matrices of shape [fan_in, out] (a conv kernel
[kh, kw, in, out] becomes [kh*kw*in, out]); ``u`` has length ``out``.
"""
import contextlib

import keras
import tensorflow as tf

from tfbiggan.layers.initializers import FastOrthogonal
from tfbiggan.layers.resampling import upsample2x


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


def _conv(x, kernel):
    """'same' conv, stride 1; 1x1 kernels run as a matmul (faster in oneDNN)."""
    if kernel.shape[0] == 1 and kernel.shape[1] == 1:
        return tf.tensordot(x, kernel[0, 0], axes=1)
    return tf.nn.conv2d(x, kernel, strides=1, padding="SAME")


def _phase_taps(kernel, axis):
    """Collapses the 3 taps along ``axis`` (0 rows, 1 cols) into 2 taps for
    each output phase of a nearest-x2-upsampled input.

    Output row 2i uses input rows (i-1, i) with taps (k0, k1 + k2); output row
    2i+1 uses rows (i, i+1) with taps (k0 + k1, k2).
    """
    k0, k1, k2 = tf.unstack(kernel, axis=axis)
    return (tf.stack([k0, k1 + k2], axis=axis), tf.stack([k0 + k1, k2], axis=axis))


def _upsample_conv3x3(x, kernel):
    """conv3x3_same(upsample_nearest_x2(x)) without materialising the upsample.

    x [B, H, W, Cin], kernel [3, 3, Cin, Cout] -> [B, 2H, 2W, Cout].
    """
    shape = tf.shape(x)
    h, w = shape[1], shape[2]
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    phases = []
    for a, rows in enumerate(_phase_taps(kernel, 0)):
        for b, taps in enumerate(_phase_taps(rows, 1)):
            window = padded[:, a:a + h + 1, b:b + w + 1, :]
            phases.append(tf.nn.conv2d(window, taps, strides=1, padding="VALID"))
    # Channel blocks ordered (a, b) are what depth_to_space interleaves to
    # out[2i + a, 2j + b].
    return tf.nn.depth_to_space(tf.concat(phases, axis=-1), 2)


class _KernelLayer(keras.layers.Layer):
    """A layer with a BigGAN kernel: orthogonal initialisation, created with
    ``autocast=False`` so that it stays float32 under a mixed-precision policy
    (and spectral norm, where there is one, is computed in float32)."""

    def _init_kernel(self, use_bias, kernel_initializer):
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or FastOrthogonal())

    def _build_kernel(self, shape):
        self.kernel = self.add_weight(name="kernel", shape=shape,
                                      initializer=self.kernel_initializer, autocast=False)
        self.bias = (self.add_weight(name="bias", shape=(shape[-1],), initializer="zeros")
                     if self.use_bias else None)

    def call_kernel(self, training=False):
        """The float32 kernel a call uses (here the raw kernel)."""
        del training
        return tf.convert_to_tensor(self.kernel.value)

    def _kernel_config(self):
        return dict(use_bias=self.use_bias,
                    kernel_initializer=keras.initializers.serialize(self.kernel_initializer))


class _SpectralNorm:
    """Holds ``u`` and turns the raw kernel into W / sigma: mixed into a
    ``_KernelLayer`` (``SNDense``, ``SNConv2D``)."""

    def _init_sn(self, power_iterations, sn_epsilon):
        if power_iterations < 1:
            raise ValueError(
                f"power_iterations must be >= 1, got {power_iterations}.")
        self.power_iterations = int(power_iterations)
        self.sn_epsilon = float(sn_epsilon)
        # Set only inside folded_spectral_norm(): a constant W / sigma.
        self._folded_kernel = None

    def _sn_config(self):
        return dict(power_iterations=self.power_iterations, sn_epsilon=self.sn_epsilon)

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
        if self._folded_kernel is not None:
            return self._folded_kernel
        kernel = tf.convert_to_tensor(self.kernel.value)
        matrix = tf.reshape(kernel, [-1, kernel.shape[-1]])
        iters = self.power_iterations if training else 1
        sigma, u = power_iteration(matrix, self.sn_u.value, iters, self.sn_epsilon)
        if training:
            self.sn_u.assign(u)
        # The floor only matters for an all-zero kernel (e.g. a zero-initialised
        # projection), where W / sigma would be 0 / 0 = NaN.
        return kernel / tf.maximum(sigma, self.sn_epsilon)

    def call_kernel(self, training=False):
        return self.normalized_kernel(training)


@keras.saving.register_keras_serializable(package="tfbiggan")
class Dense(_KernelLayer):
    """BigGAN's dense layer without spectral norm (SNGAN's generator, WGAN's
    clipped critic); ``SNDense`` is the same with it.

    Args:
      units: output width.
      use_bias: add a bias after the matmul.

    Input [..., in]; output [..., units].
    """

    def __init__(self, units, use_bias=True, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self._init_kernel(use_bias, kernel_initializer)

    def build(self, input_shape):
        self._build_kernel((int(input_shape[-1]), self.units))

    def call(self, inputs, training=False):
        kernel = tf.cast(self.call_kernel(training), inputs.dtype)
        out = tf.matmul(inputs, kernel) if inputs.shape.rank == 2 else tf.tensordot(
            inputs, kernel, axes=1)
        if self.bias is not None:
            out = out + tf.cast(self.bias, out.dtype)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, **self._kernel_config())
        return config


@keras.saving.register_keras_serializable(package="tfbiggan")
class SNDense(_SpectralNorm, Dense):
    """Spectrally normalised dense layer (Miyato et al. 2018).

    Args:
      units, use_bias, kernel_initializer: as ``Dense``.
      power_iterations: power iterations per training call (paper: 1).
      sn_epsilon: floor on vector norms in the power iteration.
    """

    def __init__(self, units, use_bias=True, power_iterations=1, sn_epsilon=1e-4,
                 kernel_initializer=None, **kwargs):
        super().__init__(units, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         **kwargs)
        self._init_sn(power_iterations, sn_epsilon)

    def build(self, input_shape):
        super().build(input_shape)
        self._build_u(self.units)

    def get_config(self):
        return {**super().get_config(), **self._sn_config()}


@keras.saving.register_keras_serializable(package="tfbiggan")
class Conv2D(_KernelLayer):
    """BigGAN's 2-D convolution without spectral norm, NHWC, stride 1, 'same'
    padding; ``SNConv2D`` is the same with it.

    Input [batch, H, W, in]; output [batch, H, W, filters], or
    [batch, 2H, 2W, filters] with ``upsample=True``.

    Call options:
      upsample: nearest x2 upsampling of the input, fused with the conv. A 1x1
        conv runs at the low resolution and is upsampled after; a 3x3 conv runs
        as four 2x2 "phase" convs on the low-resolution input, interleaved by
        depth_to_space (4 instead of 9 taps per output, same result).
      channels: compute only the first ``channels`` outputs (BigGAN-deep's
        head keeps 3 of its ``ch`` output channels).
    ``fused_ops = False`` (an attribute, not config) runs the literal reference
    computation instead, e.g. to count the architecture's nominal FLOPs.
    """

    def __init__(self, filters, kernel_size=3, use_bias=True, kernel_initializer=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self._init_kernel(use_bias, kernel_initializer)
        self.fused_ops = True

    def build(self, input_shape):
        k = self.kernel_size
        self._build_kernel((k, k, int(input_shape[-1]), self.filters))

    def call(self, inputs, training=False, upsample=False, channels=None):
        kernel = tf.cast(self.call_kernel(training), inputs.dtype)
        bias = None if self.bias is None else tf.cast(self.bias, inputs.dtype)
        if not self.fused_ops:
            x = upsample2x(inputs) if upsample else inputs
            out = _conv(x, kernel)
            if bias is not None:
                out = out + bias
            return out if channels is None else out[..., :channels]
        if channels is not None:
            kernel = kernel[..., :channels]
            bias = None if bias is None else bias[:channels]
        if upsample and self.kernel_size == 3:
            out = _upsample_conv3x3(inputs, kernel)
        else:
            out = _conv(inputs, kernel)
        if bias is not None:
            out = out + bias
        if upsample and self.kernel_size != 3:
            # A 1x1 conv (any pointwise map) commutes with nearest upsampling.
            if self.kernel_size != 1:
                raise NotImplementedError("upsample=True needs a 1x1 or 3x3 kernel.")
            out = upsample2x(out)
        return out

    def output_shape_for(self, input_shape, upsample=False, channels=None):
        """The output shape of a call on ``input_shape`` with these options."""
        b, h, w, _ = input_shape
        if upsample:
            h = None if h is None else 2 * h
            w = None if w is None else 2 * w
        return (b, h, w, self.filters if channels is None else channels)

    def compute_output_shape(self, input_shape):
        return self.output_shape_for(input_shape)

    def compute_output_spec(self, inputs, training=False, upsample=False, channels=None):
        # Keras passes only shapes to compute_output_shape; the shape here also
        # depends on the call options, so symbolic calls come through this.
        return keras.KerasTensor(self.output_shape_for(inputs.shape, upsample, channels),
                                 dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size,
                      **self._kernel_config())
        return config


@keras.saving.register_keras_serializable(package="tfbiggan")
class SNConv2D(_SpectralNorm, Conv2D):
    """Spectrally normalised ``Conv2D`` (W / sigma computed from the whole
    kernel, whatever the call options).

    Args:
      filters, kernel_size, use_bias, kernel_initializer: as ``Conv2D``.
      power_iterations, sn_epsilon: as ``SNDense``.
    """

    def __init__(self, filters, kernel_size=3, use_bias=True, power_iterations=1,
                 sn_epsilon=1e-4, kernel_initializer=None, **kwargs):
        super().__init__(filters, kernel_size, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, **kwargs)
        self._init_sn(power_iterations, sn_epsilon)

    def build(self, input_shape):
        super().build(input_shape)
        self._build_u(self.filters)

    def get_config(self):
        return {**super().get_config(), **self._sn_config()}


def dense(units, spectral_norm=True, power_iterations=1, sn_epsilon=1e-4, **kwargs):
    """``SNDense`` when ``spectral_norm``, else ``Dense`` (same other arguments)."""
    if spectral_norm:
        return SNDense(units, power_iterations=power_iterations, sn_epsilon=sn_epsilon,
                       **kwargs)
    return Dense(units, **kwargs)


def conv2d(filters, kernel_size=3, spectral_norm=True, power_iterations=1, sn_epsilon=1e-4,
           **kwargs):
    """``SNConv2D`` when ``spectral_norm``, else ``Conv2D`` (same other arguments)."""
    if spectral_norm:
        return SNConv2D(filters, kernel_size, power_iterations=power_iterations,
                        sn_epsilon=sn_epsilon, **kwargs)
    return Conv2D(filters, kernel_size, **kwargs)


def spectral_norm_layers(model):
    """All SNDense / SNConv2D layers inside ``model``, in creation order."""
    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, _SpectralNorm)]


@contextlib.contextmanager
def folded_spectral_norm(model):
    """Within this context every SN layer of ``model`` uses a constant W / sigma.

    In inference, spectral norm is a deterministic function of the stored W and
    u, so it is evaluated once (eagerly, with the layer's own ops) and a traced
    graph gets a plain constant kernel instead of the power-iteration ops. For
    export; training inside this context would not update the kernels.
    Yields the number of folded layers.
    """
    layers = spectral_norm_layers(model)
    for layer in layers:
        layer._folded_kernel = tf.constant(layer.normalized_kernel(training=False).numpy())
    try:
        yield len(layers)
    finally:
        for layer in layers:
            layer._folded_kernel = None
