"""The residual blocks of BigGAN and BigGAN-deep, as Keras layers."""
import numpy as np
import pytest
import tensorflow as tf

from layer_test_helper import run_layer_test
from tfbiggan.models.biggan.blocks import DBlock, DBlockDeep, GBlock, GBlockDeep


@pytest.mark.parametrize("cls, kwargs, shapes, out", [
    (GBlock, dict(in_channels=8, out_channels=4, resample=True),
     [(2, 4, 4, 8), (2, 6)], (2, 8, 8, 4)),
    (GBlockDeep, dict(in_channels=8, out_channels=4, resample=True),
     [(2, 4, 4, 8), (2, 6)], (2, 8, 8, 4)),
    (GBlockDeep, dict(in_channels=8, out_channels=8, resample=False),
     [(2, 4, 4, 8), (2, 6)], (2, 4, 4, 8)),
    (DBlock, dict(in_channels=3, out_channels=8, resample=True, preactivation=False),
     [(2, 8, 8, 3)], (2, 4, 4, 8)),
    (DBlockDeep, dict(in_channels=8, out_channels=16, resample=True),
     [(2, 8, 8, 8)], (2, 4, 4, 16)),
])
def test_block_passes_the_layer_test(cls, kwargs, shapes, out):
    run_layer_test(cls, kwargs, shapes, out, {"training": True})


def test_deep_block_shortcut_keeps_first_channels_then_upsamples():
    block = GBlockDeep(8, 4, resample=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 2, 8)).astype("f")
    cond = rng.standard_normal((1, 6)).astype("f")
    block(x, cond)
    block.conv3.kernel.assign(tf.zeros_like(block.conv3.kernel))  # main path -> bias (0)
    expected = x[..., :4].repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_allclose(block(x, cond).numpy(), expected, atol=1e-6)
