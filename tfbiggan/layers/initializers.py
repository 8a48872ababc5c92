"""Orthogonal initialisation that is fast on CPU for BigGAN-sized kernels.

``keras.initializers.Orthogonal`` orthogonalises with a Householder QR, which
takes tens of seconds per 3x3x1536x1536 kernel on a 2-core CPU, and BigGAN
initialises dozens of them. CholeskyQR2 (Fukaya et al. 2014) gives the same
Haar-distributed orthogonal factor (R with positive diagonal) using two Gram
matrices, two Choleskys and two triangular solves. Gaussian matrices at least
4x taller than wide have condition number <= 3, so those run in float32; the
rest (square-ish, where cond ~ n) run in float64.
"""
import keras
import tensorflow as tf


def _cholesky_qr(a):
    gram = tf.matmul(a, a, transpose_a=True)
    chol = tf.linalg.cholesky(gram)                      # gram = L L^T, R = L^T
    # Q = A R^{-1} = A L^{-T}. Inverting the small [n, n] factor and multiplying
    # is much faster on CPU than a triangular solve against the tall A.
    chol_inv = tf.linalg.triangular_solve(chol, tf.eye(tf.shape(chol)[0], dtype=a.dtype))
    return tf.matmul(a, chol_inv, transpose_b=True)


def orthogonal_matrix(rows, cols, seed=None):
    """A [rows, cols] float64 tensor with orthonormal columns (rows >= cols) or
    orthonormal rows (rows < cols), Haar-distributed."""
    tall = rows >= cols
    m, n = (rows, cols) if tall else (cols, rows)
    dtype = tf.float32 if m >= 4 * n else tf.float64
    a = tf.cast(keras.random.normal((m, n), seed=seed), dtype)
    q = _cholesky_qr(_cholesky_qr(a))  # the second pass restores orthogonality
    q = tf.cast(q, tf.float64)
    return q if tall else tf.transpose(q)


@keras.saving.register_keras_serializable(package="tfbiggan")
class FastOrthogonal(keras.initializers.Initializer):
    """Orthogonal init of a kernel viewed as [prod(shape[:-1]), shape[-1]].

    Matches ``keras.initializers.Orthogonal`` in distribution.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = float(gain)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"FastOrthogonal needs a kernel of rank >= 2, got {shape}.")
        rows = 1
        for d in shape[:-1]:
            rows *= int(d)
        q = orthogonal_matrix(rows, int(shape[-1]), self.seed)
        return tf.cast(self.gain * tf.reshape(q, shape), dtype or "float32")

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}
