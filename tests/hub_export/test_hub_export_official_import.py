"""Official weights in both formats, imported and exported, against hf's BigGAN.

The reference is huggingface's own code: its converter read the TF1 module
(``official_hf_model``), and its BigGAN class computes the images. The
imported SavedModels must give the same images within 1e-3 at grid
truncations, where hf's statistics lookup is exact.
"""
import math

import numpy as np
import pytest
import tensorflow as tf

from official_helpers import hf_images
from hub_export import checks, model_card, official
from hub_export.biggan import INTERFACE
from hub_export.contract import DISCRIMINATOR_SIGNATURE, OUTPUT_KEY, SIGNATURE
from hub_export.official import synthetic
from tfbiggan.sampling import one_hot, truncated_normal

TOLERANCE = 1e-3
GRID_TRUNCATIONS = (0.4, 1.0)
HF_STEP = 1.0 / 50          # hf's BigGANBatchNorm.step_size for 51 statistics


def _base(config, batch=3, seed=0):
    rng = np.random.default_rng(seed)
    z = truncated_normal((batch, config.z_dim), 2.0, rng)
    return z, one_hot(rng.integers(0, config.num_classes, batch), config.num_classes)


def _ours(export_path):
    signature = tf.saved_model.load(export_path).signatures[SIGNATURE]

    def run(z, y, truncation):
        return signature(z=tf.constant(z), y=tf.constant(y),
                         truncation=tf.constant(truncation, tf.float32))[OUTPUT_KEY].numpy()
    return run


def _check_matches_hf(export_path, hf_model, config):
    ours = _ours(export_path)
    z, y = _base(config)
    images = {}
    for t in GRID_TRUNCATIONS:
        assert math.modf(t / HF_STEP)[0] == 0.0     # hf reads this row exactly
        zt = np.float32(t) * z
        images[t] = ours(zt, y, t)
        diff = np.abs(images[t] - hf_images(hf_model, zt, y, t)).max()
        assert diff < TOLERANCE, (t, diff)
    # The comparison can fail: varied, mostly unsaturated images, and the
    # truncation's statistics move them.
    for value in images.values():
        assert value.std() > 0.2 and np.mean(np.abs(value) > 0.99) < 0.2
    assert np.abs(ours(z, y, 0.4) - ours(z, y, 1.0)).max() > 0.05


def test_tfhub_module_import_matches_hf(official_tfhub_export, official_hf_model,
                                        official_config):
    _check_matches_hf(official_tfhub_export[0], official_hf_model, official_config)


def test_hf_checkpoint_import_matches_hf(official_hf_export, official_hf_model,
                                         official_config):
    _check_matches_hf(official_hf_export[0], official_hf_model, official_config)


def test_both_formats_import_to_the_same_model(official_tfhub_export, official_hf_export,
                                               official_config):
    z, y = _base(official_config, seed=1)
    a = _ours(official_tfhub_export[0])(0.7 * z, y, 0.7)
    b = _ours(official_hf_export[0])(0.7 * z, y, 0.7)
    assert np.abs(a - b).max() < TOLERANCE


def test_hf_truncation_lookup_differs_off_grid(official_tfhub_export, official_hf_model,
                                               official_config):
    """What hf's BigGANBatchNorm does and this export does not copy.

    hf takes ``coef, i = math.modf(t / 0.02)`` and mixes rows i and i+1 with
    weights (coef, 1 - coef): reversed, so hf at 0.405 (a quarter of the way
    from 0.40 to 0.42) equals a correct interpolation at 0.415. And a float32
    grid value read as a Python float lands a hair above the grid point, which
    gives coef ~ 0 and then almost all of row i+1: hf at float32 0.4 is this
    export at 0.42.
    """
    ours = _ours(official_tfhub_export[0])
    z, y = _base(official_config, seed=2)
    z = np.float32(0.4) * z
    hf_off_grid = hf_images(official_hf_model, z, y, 0.405)
    assert np.abs(hf_off_grid - ours(z, y, 0.415)).max() < TOLERANCE
    assert np.abs(hf_off_grid - ours(z, y, 0.405)).max() > 5 * TOLERANCE
    float32_grid = float(np.float32(0.4))
    assert math.modf(float32_grid / HF_STEP)[0] != 0.0
    hf_misread = hf_images(official_hf_model, z, y, float32_grid)
    assert np.abs(hf_misread - ours(z, y, 0.42)).max() < TOLERANCE
    assert np.abs(hf_misread - ours(z, y, 0.4)).max() > 5 * TOLERANCE


def test_model_card_names_source_licence_and_no_discriminator(official_tfhub_export,
                                                              official_hf_export):
    for path, report in (official_tfhub_export, official_hf_export):
        card = model_card.read(path)
        origin = card["origin"]
        assert card["init"] == "official" and card["training_step"] == 0
        assert origin["licence"] == "Apache-2.0"
        assert "deepmind/biggan-deep-128/1" in origin["published_as"]
        assert "no discriminator" in origin["discriminator"]
        assert origin["tensors_ignored"] == []
        assert card["discriminator_parameters"] is None
        assert list(card["signatures"]) == [SIGNATURE]
        assert len(card["labels"]) == 1000 and card["labels"][0] == "n01440764"
        assert "tensorflow-datasets" in card["labels_source"]
        with pytest.raises(ValueError, match="has no signature 'discriminator'"):
            checks.read_signature(path, DISCRIMINATOR_SIGNATURE)
        text = model_card.to_markdown(card, INTERFACE)
        assert "Licence: Apache-2.0" in text and "no 'discriminator' signature" in text
        assert "signatures['discriminator']" not in text
        assert "discriminator" not in report["self_check"]
        assert report["self_check"]["generator"] <= report["self_check"][
            "generator_tolerance"]
    assert model_card.read(official_tfhub_export[0])["origin"]["format"] == "tfhub-module"
    assert model_card.read(official_hf_export[0])["origin"]["format"] == "hf-checkpoint"


def test_hf_legacy_torch_format_reads_the_same(official_hf_model, official_hf_dir,
                                               tmp_path):
    """hf's published 2019 files use torch's pre-zip serialization."""
    legacy = synthetic.write_hf_checkpoint(tmp_path / "legacy", official_hf_model,
                                           legacy_format=True)
    quiet = dict(log=lambda line: None)
    a = official.load(legacy, **quiet).generator
    b = official.load(official_hf_dir, **quiet).generator
    for x, y in zip(a.variables, b.variables):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=x.path)
