"""SAGAN self-attention against a numpy reference."""
import keras
import numpy as np
import tensorflow as tf

from layer_test_helper import run_layer_test
from tfbiggan.layers import SelfAttention


def _np_attention(x, wt, wp, wg, wo, gamma):
    b, h, w, c = x.shape
    pool = lambda t: t.reshape(b, h // 2, 2, w // 2, 2, -1).max(axis=(2, 4))  # noqa: E731
    theta = (x @ wt).reshape(b, h * w, -1)
    phi = pool(x @ wp).reshape(b, h * w // 4, -1)
    g = pool(x @ wg).reshape(b, h * w // 4, -1)
    logits = theta @ phi.transpose(0, 2, 1)
    beta = np.exp(logits - logits.max(-1, keepdims=True))
    beta /= beta.sum(-1, keepdims=True)
    o = (beta @ g).reshape(b, h, w, -1) @ wo
    return x + gamma * o


def test_shapes_and_identity_at_init():
    layer = SelfAttention()
    x = tf.random.normal([2, 8, 6, 16])
    out = layer(x, training=True)
    assert out.shape == x.shape
    assert float(layer.gamma.numpy()) == 0.0
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    shapes = {v.path.split("/")[-2] + "/" + v.name: tuple(v.shape) for v in layer.trainable_variables}
    assert shapes["theta/kernel"] == (1, 1, 16, 2) and shapes["phi/kernel"] == (1, 1, 16, 2)
    assert shapes["g/kernel"] == (1, 1, 16, 8) and shapes["o/kernel"] == (1, 1, 8, 16)
    assert len(layer.trainable_variables) == 5  # four bias-free kernels and gamma


def test_matches_numpy_reference():
    rng = np.random.default_rng(0)
    layer = SelfAttention()
    x = rng.standard_normal((2, 4, 6, 16)).astype("f")
    layer(x)
    for conv in (layer.theta, layer.phi, layer.g, layer.o):
        conv.kernel.assign(rng.standard_normal(conv.kernel.shape).astype("f"))
    layer.gamma.assign(0.7)
    kernels = [c.normalized_kernel(training=False).numpy()[0, 0].astype(np.float64)
               for c in (layer.theta, layer.phi, layer.g, layer.o)]
    expected = _np_attention(x.astype(np.float64), *kernels, 0.7)
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-4, rtol=1e-4)


def test_rejects_channels_not_divisible_by_8():
    try:
        SelfAttention()(tf.zeros([1, 4, 4, 12]))
    except ValueError as e:
        assert "divisible by 8" in str(e)
    else:
        raise AssertionError("12 channels were accepted")


def test_config_round_trip():
    layer = SelfAttention(power_iterations=2, sn_epsilon=1e-6, name="att")
    clone = SelfAttention.from_config(layer.get_config())
    assert clone.power_iterations == 2 and clone.sn_epsilon == 1e-6 and clone.name == "att"
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(again, SelfAttention) and again.power_iterations == 2


def test_self_attention_passes_the_layer_test():
    # theta, phi: 16 -> 2; g: 16 -> 8; o: 8 -> 16; gamma.
    # One spectral-norm u per 1x1 conv, of its output width.
    run_layer_test(SelfAttention, {}, [(2, 4, 4, 16)], (2, 4, 4, 16), {"training": True},
                   expected_trainable=2 * 16 * 2 + 16 * 8 + 8 * 16 + 1,
                   expected_non_trainable=2 + 2 + 8 + 16)
