"""Generator and discriminator: presets, shapes, configs, inputs, structure."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.layers import (ConditionalBatchNorm, SelfAttention, SNConv2D, SNDense)
from tfbiggan.models import PRESETS, BigGANConfig, Discriminator, Generator, get_preset
from tfbiggan.models.blocks import DBlock, DBlockDeep, GBlock, GBlockDeep


def _inputs(cfg, batch=2, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((batch, cfg.z_dim)).astype("f")
    y = np.eye(cfg.num_classes, dtype="f")[rng.integers(0, cfg.num_classes, batch)]
    return z, y


@pytest.mark.parametrize("preset", ["tiny", "tiny-deep"])
def test_cheap_presets_build_and_give_images_and_logits(preset):
    cfg = get_preset(preset)
    g, d = Generator(cfg), Discriminator(cfg)
    z, y = _inputs(cfg)
    images = g(z, y, training=True)
    assert images.shape == (2, cfg.resolution, cfg.resolution, 3) and images.dtype == tf.float32
    images = g(z, y).numpy()
    assert np.abs(images).max() <= 1.0 and images.std() > 0
    logits = d(images, y, training=True)
    assert logits.shape == (2,) and logits.dtype == tf.float32
    assert np.isfinite(logits.numpy()).all()


def test_every_preset_config_is_valid_and_constructs():
    for name, cfg in PRESETS.items():
        assert get_preset(name) is cfg
        # Construction creates layers but no big kernels (those build lazily).
        g = Generator(cfg)
        d = Discriminator(cfg)
        assert g.blocks and d.blocks
        assert BigGANConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="Unknown preset"):
        get_preset("biggan-1024")
    with pytest.raises(ValueError, match="z_dim"):
        BigGANConfig("biggan", 128, z_dim=100)
    with pytest.raises(ValueError, match="Unknown BigGANConfig"):
        BigGANConfig.from_dict({"nope": 1})


def test_generator_rejects_wrong_input_widths():
    cfg = get_preset("tiny")
    g = Generator(cfg)
    z, y = _inputs(cfg)
    with pytest.raises(ValueError, match=r"z must be \[batch, 16\]"):
        g(np.zeros((2, 15), "f"), y)
    with pytest.raises(ValueError, match=r"y must be \[batch, 4\].*one_hot"):
        g(z, np.zeros((2, 5), "f"))
    with pytest.raises(ValueError, match=r"y must be"):
        g(z, np.zeros((2,), "f"))
    d = Discriminator(cfg)
    with pytest.raises(ValueError, match=r"images must be \[batch, 32, 32, 3\]"):
        d(np.zeros((2, 16, 16, 3), "f"), y)


# (upsample, in_mult, out_mult) from the tfhub.dev BigGAN-deep modules.
DEEP_128 = [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8),
            (True, 8, 4), (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1)]
DEEP_256 = DEEP_128[:5] + [(True, 8, 8), (False, 8, 8)] + DEEP_128[5:]
DEEP_512 = DEEP_256 + [(False, 1, 1), (True, 1, 1)]


@pytest.mark.parametrize("preset, table, attention_channels", [
    ("biggan-deep-128", DEEP_128, 256), ("biggan-deep-256", DEEP_256, 512),
    ("biggan-deep-512", DEEP_512, 512)])
def test_biggan_deep_generator_structure(preset, table, attention_channels):
    g = Generator(get_preset(preset))
    kinds = [type(b) for b in g.blocks]
    assert kinds.index(SelfAttention) == 8 and kinds.count(SelfAttention) == 1
    blocks = [b for b in g.blocks if isinstance(b, GBlockDeep)]
    assert len(blocks) == len(table) == len(g.blocks) - 1
    got = [(b.resample, b.in_channels // 128, b.out_channels // 128) for b in blocks]
    assert got == table
    assert g.blocks[7].out_channels == attention_channels
    # The attention sits at 64x64: four upsampling blocks come before it.
    assert sum(b.resample for b in g.blocks[:8]) == 4
    assert g.out_channels == 128 and g.out_conv.filters == 128


def test_biggan_generator_and_discriminator_structure():
    cfg = get_preset("biggan-128")
    g, d = Generator(cfg), Discriminator(cfg)
    gb = [b for b in g.blocks if isinstance(b, GBlock)]
    assert [(b.in_channels // 96, b.out_channels // 96) for b in gb] == [
        (16, 16), (16, 8), (8, 4), (4, 2), (2, 1)]
    assert [type(b) for b in g.blocks].index(SelfAttention) == 4  # after 32 -> 64
    db = [b for b in d.blocks if isinstance(b, DBlock)]
    assert [b.out_channels // 96 for b in db] == [1, 2, 4, 8, 16, 16]
    assert [b.resample for b in db] == [True] * 5 + [False]
    assert [type(b) for b in d.blocks].index(SelfAttention) == 1  # at 64x64
    assert not db[0].preactivation and all(b.preactivation for b in db[1:])
    assert cfg.num_z_chunks == 6 and cfg.z_dim // cfg.num_z_chunks == 20


def _same_outputs(a, b, *args):
    np.testing.assert_allclose(a(*args).numpy(), b(*args).numpy(), atol=1e-6)


def test_model_config_round_trip():
    cfg = get_preset("tiny-deep")
    z, y = _inputs(cfg)
    for cls, args in ((Generator, (z, y)), (Discriminator, (np.zeros((2, 32, 32, 3), "f"), y))):
        model = cls(cfg, name="m")
        model.build()
        clone = cls.from_config(model.get_config())
        clone.build()
        assert clone.config == cfg and clone.name == "m"
        clone.set_weights(model.get_weights())
        _same_outputs(model, clone, *args)
        again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
        assert isinstance(again, cls) and again.config == cfg


@pytest.mark.parametrize("layer, shape", [
    (SNDense(5, use_bias=False, power_iterations=2, sn_epsilon=1e-6), (3, 4)),
    (SNConv2D(5, 1, power_iterations=3), (2, 4, 4, 3)),
    (ConditionalBatchNorm(conditional=False, epsilon=1e-3, momentum=0.5, num_standing=11),
     (2, 4, 4, 3)),
    (DBlock(3, 8, resample=True, preactivation=False), (2, 8, 8, 3)),
    (DBlockDeep(8, 16, resample=True), (2, 8, 8, 8)),
])
def test_layer_config_round_trip(layer, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype("f")
    out = layer(x).numpy()
    clone = layer.__class__.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), out, atol=1e-6)
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    assert again.get_config() == layer.get_config()


@pytest.mark.parametrize("block", [GBlock(8, 4, resample=True), GBlockDeep(8, 4, resample=True),
                                   GBlockDeep(8, 8, resample=False)])
def test_generator_block_config_round_trip(block):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 4, 8)).astype("f")
    cond = rng.standard_normal((2, 6)).astype("f")
    out = block(x, cond).numpy()
    assert out.shape == (2, 8 if block.resample else 4, 8 if block.resample else 4,
                         block.out_channels)
    clone = block.__class__.from_config(block.get_config())
    clone(x, cond)
    clone.set_weights(block.get_weights())
    np.testing.assert_allclose(clone(x, cond).numpy(), out, atol=1e-6)


def test_deep_block_shortcut_keeps_first_channels_then_upsamples():
    block = GBlockDeep(8, 4, resample=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 2, 8)).astype("f")
    cond = rng.standard_normal((1, 6)).astype("f")
    block(x, cond)
    block.conv3.kernel.assign(tf.zeros_like(block.conv3.kernel))  # main path -> bias (0)
    expected = x[..., :4].repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_allclose(block(x, cond).numpy(), expected, atol=1e-6)
