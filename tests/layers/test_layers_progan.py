"""Progressive GAN's operators (Karras et al. 2018) against numpy: the
equalised learning rate, pixel norm and the minibatch standard deviation."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from layer_test_helper import run_layer_test
from tfbiggan.layers import (EqualizedConv2D, EqualizedDense, MinibatchStddev, PixelNorm,
                             he_constant)


def test_equalized_weights_are_unit_normal_scaled_by_he_constant():
    x = np.random.default_rng(0).standard_normal((3, 3, 3, 64)).astype("f")
    conv = EqualizedConv2D(32, kernel_size=3)
    out = conv(x).numpy()
    c = math.sqrt(2.0) / math.sqrt(3 * 3 * 64)
    assert conv.scale == pytest.approx(c) == he_constant(576)
    stored = conv.kernel.numpy()
    assert abs(stored.std() - 1.0) < 0.03 and abs(stored.mean()) < 0.03
    np.testing.assert_array_equal(conv.effective_kernel().numpy(), stored * np.float32(c))
    want = tf.nn.conv2d(x, stored * c, 1, "SAME").numpy()
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)

    dense = EqualizedDense(7, gain=1.0)
    v = np.random.default_rng(1).standard_normal((4, 50)).astype("f")
    np.testing.assert_allclose(dense(v).numpy(), v @ (dense.kernel.numpy() / math.sqrt(50)),
                               rtol=1e-5, atol=1e-6)


def _relative_step(layer, fan_in, lr=1e-3):
    """Mean |change of the applied kernel| after one Adam step, over the
    kernel's nominal scale (He's std sqrt(2 / fan_in) for both layers)."""
    x = tf.constant(np.random.default_rng(fan_in).standard_normal((16, fan_in)).astype("f"))
    layer(x)
    applied = (lambda: layer.effective_kernel()) if hasattr(layer, "scale") else (
        lambda: tf.convert_to_tensor(layer.kernel))
    before = applied().numpy()
    optimizer = keras.optimizers.Adam(lr)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(x) - 1.0))
    optimizer.apply(tape.gradient(loss, layer.trainable_variables), layer.trainable_variables)
    return np.abs(applied().numpy() - before).mean() / math.sqrt(2.0 / fan_in)


def test_equalized_update_size_does_not_depend_on_fan_in():
    small, large = 16, 1024
    steps = [_relative_step(EqualizedDense(8), n) for n in (small, large)]
    # Adam's first step moves every stored weight by lr, so the applied one
    # moves by c * lr: lr relative to its scale, whatever the fan-in.
    np.testing.assert_allclose(steps, 1e-3, rtol=0.01)
    # The same layer with He's init and no runtime scale: the step relative to
    # the weights grows like sqrt(fan_in), which is what equalisation removes.
    he = keras.initializers.HeNormal(seed=0)
    plain = [_relative_step(keras.layers.Dense(8, kernel_initializer=he), n)
             for n in (small, large)]
    assert plain[1] / plain[0] == pytest.approx(math.sqrt(large / small), rel=0.01)


def test_pixel_norm_gives_unit_mean_square_over_channels():
    x = np.random.default_rng(2).standard_normal((2, 4, 4, 6)).astype("f") * 5
    out = PixelNorm()(x).numpy()
    np.testing.assert_allclose((out ** 2).mean(-1), 1.0, rtol=1e-5)
    want = x / np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(out, want, rtol=1e-5)
    np.testing.assert_array_equal(PixelNorm()(np.zeros((1, 3), "f")).numpy(), 0.0)


def _np_minibatch_stddev(x, group_size):
    n = x.shape[0]
    g = min(group_size, n)
    m = n // g
    out = np.empty(x.shape[:3] + (1,))
    for j in range(m):  # group j holds examples j, j + m, j + 2m, ...
        members = x[j::m].astype(np.float64)
        std = np.sqrt(members.var(axis=0) + 1e-8)
        out[j::m] = std.mean()
    return np.concatenate([x, out], axis=-1)


@pytest.mark.parametrize("batch", [8, 4, 2])
def test_minibatch_stddev_matches_numpy(batch):
    x = np.random.default_rng(batch).standard_normal((batch, 4, 4, 5)).astype("f")
    x[: batch // 2] *= 3.0
    out = MinibatchStddev(group_size=4)(x).numpy()
    np.testing.assert_allclose(out, _np_minibatch_stddev(x, 4), rtol=1e-5, atol=1e-6)
    # Identical examples: the appended map is sqrt(1e-8), the collapse signal.
    same = MinibatchStddev()(np.repeat(x[:1], 4, axis=0)).numpy()[..., -1]
    np.testing.assert_allclose(same, 1e-4, rtol=1e-3)


def test_minibatch_stddev_refuses_a_batch_that_does_not_divide():
    with pytest.raises(ValueError, match="batch of 6 is not a multiple of group_size=4"):
        MinibatchStddev(group_size=4)(np.zeros((6, 2, 2, 3), "f"))
    # With the batch unknown when traced, the reshape fails at run time (no
    # Assert op in the graph: it would not convert to TFLite / TF.js).
    fn = tf.function(MinibatchStddev(group_size=4),
                     input_signature=[tf.TensorSpec([None, 2, 2, 3])])
    ops = {op.type for op in fn.get_concrete_function().graph.get_operations()}
    assert "Assert" not in ops
    with pytest.raises(tf.errors.InvalidArgumentError):
        fn(tf.zeros([6, 2, 2, 3]))


@pytest.mark.parametrize("layer_cls, kwargs, shape, out_shape, trainable", [
    (EqualizedDense, {"units": 5}, (2, 3), (2, 5), 3 * 5 + 5),
    (EqualizedConv2D, {"units": 4, "kernel_size": 3}, (2, 4, 4, 3), (2, 4, 4, 4), 9 * 3 * 4 + 4),
    (PixelNorm, {}, (2, 4, 4, 3), (2, 4, 4, 3), 0),
    (MinibatchStddev, {"group_size": 2}, (2, 4, 4, 3), (2, 4, 4, 4), 0),
])
def test_progan_layers_pass_the_layer_test(layer_cls, kwargs, shape, out_shape, trainable):
    run_layer_test(layer_cls, kwargs, [shape], out_shape, expected_trainable=trainable,
                   expected_non_trainable=0)  # equalised LR scales at run time: no state
