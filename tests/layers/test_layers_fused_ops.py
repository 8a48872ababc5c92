"""SNConv2D's fused upsample-conv and channel slicing equal the literal ops."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.layers import Conv2D, SNConv2D
from tfbiggan.models import Generator, get_preset
from tfbiggan.models.flops import reference_ops


def _np_conv_same(x, k):
    kh, kw = k.shape[:2]
    ph, pw = kh // 2, kw // 2
    xp = np.pad(x, [(0, 0), (ph, ph), (pw, pw), (0, 0)])
    h, w = x.shape[1:3]
    out = 0
    for dy in range(kh):
        for dx in range(kw):
            out = out + xp[:, dy:dy + h, dx:dx + w, :] @ k[dy, dx]
    return out


def _np_up(x):
    return x.repeat(2, axis=1).repeat(2, axis=2)


@pytest.mark.parametrize("kernel_size", [1, 3])
@pytest.mark.parametrize("fused", [True, False])
def test_upsample_conv_matches_numpy(kernel_size, fused):
    rng = np.random.default_rng(kernel_size)
    layer = SNConv2D(6, kernel_size)
    x = rng.standard_normal((2, 5, 3, 4)).astype("f")
    layer(x)
    layer.bias.assign(rng.standard_normal(6).astype("f"))
    layer.fused_ops = fused
    k = layer.normalized_kernel().numpy().astype(np.float64)
    out = layer(x, upsample=True).numpy()
    assert out.shape == (2, 10, 6, 6)
    expected = _np_conv_same(_np_up(x.astype(np.float64)), k) + layer.bias.numpy()
    np.testing.assert_allclose(out, expected, atol=1e-5)
    sliced = layer(x, upsample=True, channels=2).numpy()
    np.testing.assert_allclose(sliced, expected[..., :2], atol=1e-5)
    assert layer.output_shape_for((2, 5, 3, 4), upsample=True, channels=2) == (2, 10, 6, 2)


def _snapshot(model):
    return [v.numpy().copy() for v in model.non_trainable_variables]


def _restore(model, values):
    for v, value in zip(model.non_trainable_variables, values):
        v.assign(value)


@pytest.mark.parametrize("preset", ["tiny", "tiny-deep"])
def test_generator_fused_equals_reference_forward_and_gradients(preset):
    cfg = get_preset(preset)
    g = Generator(cfg)
    g.build()
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, cfg.z_dim)).astype("f")
    y = np.eye(cfg.num_classes, dtype="f")[[0, 1, 3]]
    state = _snapshot(g)

    def run(training):
        _restore(g, state)
        with tf.GradientTape() as tape:
            out = g(z, y, training=training)
            loss = tf.reduce_sum(out * np.linspace(-1, 1, out.shape[-1]))
        return out.numpy(), [t.numpy() for t in tape.gradient(loss, g.trainable_variables)]

    for training in (False, True):
        fused_out, fused_grads = run(training)
        with reference_ops(g):
            ref_out, ref_grads = run(training)
        np.testing.assert_allclose(fused_out, ref_out, atol=2e-5)
        # Float32 rounding differs between the two paths, and some gradients
        # (e.g. of weights feeding a training-mode batch norm through a
        # per-channel shift) are zero up to that rounding: compare against the
        # overall gradient scale.
        scale = max(np.max(np.abs(b)) for b in ref_grads)
        for a, b in zip(fused_grads, ref_grads):
            assert np.max(np.abs(a - b)) <= 1e-3 * scale
    assert all(conv.fused_ops for conv in g._flatten_layers() if isinstance(conv, Conv2D))


@pytest.mark.parametrize("preactivation", [True, False])
def test_dblock_shortcut_pooling_first_equals_conv_first(preactivation):
    from tfbiggan.models.biggan.blocks import DBlock
    rng = np.random.default_rng(3)
    block = DBlock(3, 6, resample=True, preactivation=preactivation)
    x = rng.standard_normal((2, 8, 8, 3)).astype("f")
    block(x)
    block.conv_sc.bias.assign(rng.standard_normal(6).astype("f"))
    k = block.conv_sc.normalized_kernel().numpy()[0, 0]
    conv_first = x @ k + block.conv_sc.bias.numpy()
    pooled = conv_first.reshape(2, 4, 2, 4, 2, 6).mean(axis=(2, 4))
    xr = np.maximum(x, 0) if preactivation else x
    h = block.conv2(np.maximum(block.conv1(xr).numpy(), 0)).numpy()
    h = h.reshape(2, 4, 2, 4, 2, 6).mean(axis=(2, 4))
    np.testing.assert_allclose(block(x).numpy(), h + pooled, atol=1e-5)
