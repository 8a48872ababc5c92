"""Regularisers of the generator's weights: BigGAN's orthogonal
regularisation, and its direct controls of each weight's top singular value.

Orthogonal regularisation, the BigGAN variant:

R(W) = beta * || W W^T * (1 - I) ||_F^2, with W the weight viewed as
[out, fan_in] (one row per output filter, as in BigGAN-PyTorch's ``ortho``;
the paper writes the same Gram matrix as W^T W with filters as columns). Only
the off-diagonal of the Gram matrix is penalised, so filter norms are free.
It applies to generator weights of rank >= 2, never to class embeddings.
"""
import tensorflow as tf

from tfbiggan.singular_values import BLOCK_ITERATIONS, as_matrix, top_singular_triplets


def orthogonal_penalty(weight):
    """||W W^T * (1 - I)||_F^2 for one kernel (any rank >= 2), float32 scalar.

    With W [out, fan_in] and more filters than inputs (G's first linear:
    out = 16 * 16 * ch = 24576 filters of fan_in 20), the out x out Gram
    matrix alone is 2.4 GB. The same value comes from the fan_in x fan_in
    one: ||W W^T||_F^2 = trace((W W^T)^2) = ||W^T W||_F^2, and the diagonal of
    W W^T holds the squared filter norms, so the penalty is
    ||W^T W||_F^2 - sum_i ||w_i||^4. There the off-diagonal part is at least
    (out / fan_in - 1) times the diagonal for equal filter norms (rank
    <= fan_in), so the subtraction loses little in float32.
    """
    w = tf.cast(tf.convert_to_tensor(weight), tf.float32)
    rows = tf.transpose(tf.reshape(w, [-1, w.shape[-1]]))  # [out, fan_in]
    out, fan_in = rows.shape
    if out > fan_in:
        inner = tf.matmul(rows, rows, transpose_a=True)  # [fan_in, fan_in]
        squared_norms = tf.reduce_sum(tf.square(rows), axis=1)
        return tf.reduce_sum(tf.square(inner)) - tf.reduce_sum(tf.square(squared_norms))
    gram = tf.matmul(rows, rows, transpose_b=True)
    off_diagonal = gram * (1.0 - tf.eye(out))
    return tf.reduce_sum(tf.square(off_diagonal))


def orthogonal_regularization(weights, beta=1e-4):
    """beta * sum of ``orthogonal_penalty`` over ``weights`` of rank >= 2."""
    terms = [orthogonal_penalty(w) for w in weights if len(w.shape) >= 2]
    if not terms:
        return tf.constant(0.0)
    return beta * tf.add_n(terms)


def sigma_target(sigma, fixed=None, ratio=None):
    """The target of BigGAN's sigma_0 controls (Sec. 4.1, Appendix F): a fixed
    ``fixed`` value, or ``ratio`` r times the second singular value held
    constant, r * sg(sigma_1), so that the control never pushes sigma_1 up."""
    if (fixed is None) == (ratio is None):
        raise ValueError("Give exactly one of a fixed sigma target and a ratio r.")
    if fixed is not None:
        return tf.constant(float(fixed))
    if sigma.shape[0] < 2:
        raise ValueError("A ratio target needs a weight with two singular values.")
    return float(ratio) * tf.stop_gradient(sigma[1])


def sigma_regularization(weights, fixed=None, ratio=None, iterations=None):
    """sum over ``weights`` of (sigma_0(W) - target)^2: BigGAN's direct
    regularisation of each weight's top singular value towards ``fixed`` or
    ``ratio`` * sg(sigma_1). Differentiable in W (through sigma_0 = u0^T W v0)."""
    terms = []
    for w in weights:
        if len(w.shape) < 2:
            continue
        sigma, _, _ = top_singular_triplets(w, 2, iterations or BLOCK_ITERATIONS)
        terms.append(tf.square(sigma[0] - sigma_target(sigma, fixed, ratio)))
    return tf.add_n(terms) if terms else tf.constant(0.0)


def clamp_top_singular_value(weight, fixed=None, ratio=None, iterations=None):
    """W - max(0, sigma_0 - sigma_clamp) u0 v0^T (BigGAN, Appendix F; in the
    [fan_in, out] view u0 is the left, v0 the right singular vector), reshaped
    back to ``weight``'s shape; sigma_clamp is ``fixed`` or ``ratio`` * sigma_1.

    Returns (clamped weight, the amount sigma_0 was lowered by, >= 0).
    """
    sigma, left, right = top_singular_triplets(weight, 2, iterations or BLOCK_ITERATIONS)
    excess = tf.nn.relu(sigma[0] - sigma_target(sigma, fixed, ratio))
    matrix = as_matrix(weight) - excess * tf.matmul(left[:, :1], right[:, :1],
                                                    transpose_b=True)
    return tf.reshape(matrix, tf.shape(weight)), excess
