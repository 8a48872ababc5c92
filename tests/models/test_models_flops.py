"""The graph FLOP counter on hand-computable functions."""
import tensorflow as tf

from tfbiggan.models.flops import function_flops

spec = tf.TensorSpec


def test_conv_matmul_batch_matmul_and_einsum():
    w = tf.ones([3, 3, 4, 5])

    def fn(x, a, b, c, d):
        return (tf.nn.conv2d(x, w, 1, "SAME"), tf.matmul(a, b, transpose_b=True),
                tf.matmul(c, c, adjoint_b=True), tf.einsum("bij,bjk->bik", c, d),
                tf.nn.relu(a))

    flops = function_flops(fn, spec([2, 6, 7, 4]), spec([3, 8]), spec([9, 8]),
                           spec([2, 4, 6]), spec([2, 6, 5]))
    conv = 2 * 6 * 7 * 5 * 3 * 3 * 4
    mm = 3 * 9 * 8
    bmm = 2 * 4 * 4 * 6
    ein = 2 * 4 * 6 * 5
    assert flops == 2 * (conv + mm + bmm + ein)


def test_nested_functions_are_walked():
    inner = tf.function(lambda a: tf.matmul(a, a))

    def fn(a):
        return inner(a) + tf.cond(tf.reduce_sum(a) > 0, lambda: tf.matmul(a, a), lambda: a)

    assert function_flops(fn, spec([4, 4])) == 2 * 2 * 4 * 4 * 4
