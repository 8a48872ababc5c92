"""Generator and discriminator: presets, shapes, configs, inputs, structure."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.layers import SelfAttention
from tfbiggan.models import PRESETS, BigGANConfig, Discriminator, Generator, get_preset
from tfbiggan.models.biggan.blocks import DBlock, GBlock, GBlockDeep


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


def _block_resolutions(blocks, start, scale):
    """The resolution after each block (attention keeps it)."""
    out, resolution = [], start
    for block in blocks:
        if getattr(block, "resample", False):
            resolution = int(resolution * scale)
        out.append(resolution)
    return out


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_the_layout_its_config_describes(name):
    cfg = get_preset(name)
    assert get_preset(name) is cfg and BigGANConfig.from_dict(cfg.to_dict()) == cfg
    # Construction creates layers but no big kernels (those build lazily).
    g, d = Generator(cfg), Discriminator(cfg)
    for model, start, scale, attention in ((g, 4, 2, cfg.g_attention),
                                           (d, cfg.resolution, 0.5, cfg.d_attention)):
        blocks = [b for b in model.blocks if not isinstance(b, SelfAttention)]
        # Blocks are numbered 0, 1, 2, ... in call order; attention is not numbered.
        assert [b.name for b in blocks] == [f"block{i}" for i in range(len(blocks))]
        names = [b.name for b in model.blocks]
        if attention:
            at = names.index("attention")
            assert names.count("attention") == 1
            # It works at the configured resolution, between two blocks.
            assert _block_resolutions(model.blocks, start, scale)[at] == attention
            assert 0 < at < len(names) - 1
        else:
            assert "attention" not in names
    g_blocks = [b for b in g.blocks if not isinstance(b, SelfAttention)]
    assert len(g_blocks) == (2 if cfg.is_deep else 1) * cfg.num_stages
    # G ends at the configured resolution, and D pools it down.
    assert _block_resolutions(g.blocks, 4, 2)[-1] == cfg.resolution
    assert _block_resolutions(d.blocks, cfg.resolution, 0.5)[-1] < cfg.resolution
    with pytest.raises(ValueError, match="Unknown preset"):
        get_preset("biggan-1024")


def test_config_errors_name_the_field():
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
