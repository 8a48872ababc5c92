"""Orthogonal regularisation, the BigGAN variant.

R(W) = beta * || W W^T * (1 - I) ||_F^2, with W the weight viewed as
[out, fan_in] (one row per output filter, as in BigGAN-PyTorch's ``ortho``;
the paper writes the same Gram matrix as W^T W with filters as columns). Only
the off-diagonal of the Gram matrix is penalised, so filter norms are free.
It applies to generator weights of rank >= 2, never to class embeddings.
"""
import tensorflow as tf


def orthogonal_penalty(weight):
    """||W W^T * (1 - I)||_F^2 for one kernel (any rank >= 2), float32 scalar."""
    w = tf.cast(tf.convert_to_tensor(weight), tf.float32)
    rows = tf.transpose(tf.reshape(w, [-1, w.shape[-1]]))  # [out, fan_in]
    gram = tf.matmul(rows, rows, transpose_b=True)
    off_diagonal = gram * (1.0 - tf.eye(tf.shape(gram)[0]))
    return tf.reduce_sum(tf.square(off_diagonal))


def orthogonal_regularization(weights, beta=1e-4):
    """beta * sum of ``orthogonal_penalty`` over ``weights`` of rank >= 2."""
    terms = [orthogonal_penalty(w) for w in weights if len(w.shape) >= 2]
    if not terms:
        return tf.constant(0.0)
    return beta * tf.add_n(terms)
