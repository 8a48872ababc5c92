"""Progressive GAN's networks: Table 2's parameter count, shapes per level,
and the fade's exactness at alpha = 0 and 1."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.layers.resampling import downsample2x, upsample2x
from tfbiggan.models import count_parameters
from tfbiggan.models.progan import (ProGANConfig, ProGANDiscriminator, ProGANGenerator,
                                    get_preset, real_images_at)

SMALL = ProGANConfig(resolution=16, z_dim=8, num_classes=3, fmap_base=32, fmap_max=8)


@pytest.fixture(scope="module")
def small_models():
    g, d = ProGANGenerator(SMALL), ProGANDiscriminator(SMALL)
    g.build()
    d.build()
    return g, d


def _table2_counts():
    """G and D of Table 2 (CelebA-HQ 1024), layer by layer, every toRGB /
    fromRGB included (weights + biases)."""
    maps = [512, 512, 512, 512, 256, 128, 64, 32, 16]  # 4x4 .. 1024x1024
    conv = lambda k, i, o: k * k * i * o + o  # noqa: E731
    g = (512 * 512 * 16 + 512 * 16) + conv(3, 512, 512)
    d = conv(3, 513, 512) + (512 * 16 * 512 + 512) + (512 + 1)
    for level in range(1, 9):
        g += conv(3, maps[level - 1], maps[level]) + conv(3, maps[level], maps[level])
        d += conv(3, maps[level], maps[level]) + conv(3, maps[level], maps[level - 1])
    g += sum(conv(1, m, 3) for m in maps)
    d += sum(conv(1, 3, m) for m in maps)
    return g, d


def test_progan_1024_has_table_2_parameters():
    config = get_preset("progan-1024")
    assert [config.channels(l) for l in range(config.num_levels)] == [
        512, 512, 512, 512, 256, 128, 64, 32, 16]
    g, d = ProGANGenerator(config), ProGANDiscriminator(config)
    g.build()
    d.build()
    want_g, want_d = _table2_counts()
    assert (count_parameters(g), count_parameters(d)) == (want_g, want_d)
    assert round(want_g / 1e6, 1) == round(want_d / 1e6, 1) == 23.1  # the paper's figure


def test_progan_shapes_per_level(small_models):
    g, d = small_models
    z = tf.random.normal([4, 8])
    y = tf.one_hot([0, 1, 2, 0], 3)
    for level, r in enumerate((4, 8, 16)):
        images = g(z, y, level=level, alpha=0.3)
        assert images.shape == (4, r, r, 3)
        assert d(images, level=level, alpha=0.3).shape == (4, 1 + 3)
    with pytest.raises(ValueError, match="levels 0..2"):
        g(z, y, level=3)


def test_generator_fade_at_alpha_0_is_the_previous_network_upsampled(small_models):
    g, _ = small_models
    z = tf.random.normal([4, 8])
    y = tf.one_hot([0, 1, 2, 1], 3)
    for level in (1, 2):
        # The fade is defined on toRGB's linear outputs (training mode).
        previous = g(z, y, level=level - 1, alpha=1.0, training=True)
        np.testing.assert_array_equal(g(z, y, level=level, alpha=0.0, training=True).numpy(),
                                      upsample2x(previous).numpy())
        grown = g(z, y, level=level, alpha=1.0, training=True).numpy()
        assert not np.allclose(grown, upsample2x(previous).numpy())
        half = g(z, y, level=level, alpha=0.5, training=True).numpy()
        np.testing.assert_allclose(half, 0.5 * (grown + upsample2x(previous).numpy()),
                                   rtol=1e-5, atol=1e-6)
    # At inference the images are clipped to [-1, 1]; in training they are not
    # (a bias of 0.9 on toRGB pushes part of the raw output past 1).
    bias = g.to_rgb[-1].bias
    bias.assign(bias + 0.9)
    raw, images = g(z, y, training=True).numpy(), g(z, y).numpy()
    bias.assign(bias - 0.9)
    assert raw.max() > 1.0
    np.testing.assert_array_equal(images, np.clip(raw, -1, 1))


def test_discriminator_fade_at_alpha_0_is_the_previous_network_on_pooled_images(
        small_models):
    _, d = small_models
    images = tf.random.normal([4, 16, 16, 3])
    for level, x in ((2, images), (1, downsample2x(images))):
        np.testing.assert_array_equal(d(x, level=level, alpha=0.0).numpy(),
                                      d(downsample2x(x), level=level - 1).numpy())
        assert not np.allclose(d(x, level=level, alpha=1.0).numpy(),
                               d(downsample2x(x), level=level - 1).numpy())


def test_real_images_fade_like_the_generator():
    images = tf.random.normal([2, 16, 16, 3])
    pooled = downsample2x(images)
    np.testing.assert_array_equal(real_images_at(images, 1, 1.0, final_level=2), pooled)
    np.testing.assert_array_equal(real_images_at(images, 1, 0.0, final_level=2),
                                  upsample2x(downsample2x(pooled)))
    np.testing.assert_array_equal(real_images_at(images, 0, 0.7, final_level=2),
                                  downsample2x(pooled))


def test_progan_config_rejects_a_resolution_that_cannot_grow():
    with pytest.raises(ValueError, match="power of two"):
        ProGANConfig(resolution=48)


def test_progan_models_round_trip_their_config(small_models):
    g, d = small_models
    for model, cls in ((g, ProGANGenerator), (d, ProGANDiscriminator)):
        copy = cls.from_config(model.get_config())
        assert copy.config == SMALL


def test_progan_checkpoint_holds_every_variable(small_models, tmp_path):
    for model in small_models:
        path = tf.train.Checkpoint(model=model).write(str(tmp_path / model.name))
        saved = [name for name, _ in tf.train.list_variables(path)
                 if name.startswith("model/") and name.endswith("VARIABLE_VALUE")]
        assert len(saved) == len(model.weights) > 0
