"""The top singular values and vectors of a weight, by block power iteration.

BigGAN (Sec. 4.1, Appendix F) watches the top three singular values of every
weight to see collapse coming; its notes compute them with Arnoldi iteration.
Here: subspace (block power) iteration on M^T M from a fixed start, with a QR
re-orthonormalisation each step, then Rayleigh-Ritz on the small M Q. A few
tens of steps give the top values to 1e-3 or better when they are separated;
no full SVD of a big kernel is needed. Weights are viewed as M = [fan_in, out]
(a conv kernel [kh, kw, in, out] as [kh*kw*in, out]), the spectral-norm
convention of ``tfbiggan.layers``.
"""
import tensorflow as tf

BLOCK_ITERATIONS = 30


def as_matrix(weight):
    """A weight of rank >= 2 as float32 [fan_in, out]."""
    weight = tf.convert_to_tensor(weight, tf.float32)
    return tf.reshape(weight, [-1, weight.shape[-1]])


def top_singular_triplets(weight, k=3, iterations=BLOCK_ITERATIONS, seed=(0, 0)):
    """The k largest singular values of ``weight`` and their vectors.

    Returns (sigma [k], left [fan_in, k], right [out, k]), largest first, with
    M ~ sum_i sigma_i left_i right_i^T on the top subspace. The vectors are
    held constant for gradients (as spectral norm holds u and v), so
    ``sigma_i = left_i^T M right_i`` differentiates to left_i right_i^T.
    """
    matrix = as_matrix(weight)
    k = min(k, *matrix.shape)
    basis = tf.random.stateless_normal([matrix.shape[1], k], seed=seed)
    basis, _ = tf.linalg.qr(basis)
    for _ in range(iterations):
        basis, _ = tf.linalg.qr(tf.matmul(matrix, tf.matmul(matrix, basis),
                                          transpose_a=True))
    basis = tf.stop_gradient(basis)
    # Rayleigh-Ritz: the SVD of the small [fan_in, k] projection M Q.
    _, u, w = tf.linalg.svd(tf.matmul(matrix, basis))
    left = tf.stop_gradient(u)
    right = tf.stop_gradient(tf.matmul(basis, w))
    sigma = tf.reduce_sum(left * tf.matmul(matrix, right), axis=0)
    return sigma, left, right


def top_singular_values(weight, k=3, iterations=BLOCK_ITERATIONS):
    """float32 [min(k, rank)]: the k largest singular values, largest first."""
    return top_singular_triplets(weight, k, iterations)[0]
