"""Progressive GAN exports: the tfhub.dev progan-128 interface (input
``default``, images in [0, 1]), the self-check, the model card, and the
TFLite and TF.js conversions with the same parity checks as BigGAN's."""
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from edge_helpers import skip_unless_node_packages
from hub_export import model_card, tflite, tfjs
from hub_export.checks import SELF_CHECK_TOLERANCE
from hub_export.export import export
from hub_export.source import Source
from tfbiggan.models.progan import ProGANConfig, ProGANDiscriminator, ProGANGenerator

CONDITIONAL = ProGANConfig(resolution=8, z_dim=8, num_classes=3, fmap_base=16, fmap_max=8)


def _source(config):
    keras.utils.set_random_seed(1)
    g, d = ProGANGenerator(config), ProGANDiscriminator(config)
    g.build()
    d.build()
    return Source(config, g, d, None, 0, "random")


@pytest.fixture(scope="module")
def conditional_export(tmp_path_factory):
    source = _source(CONDITIONAL)
    path, report = export(source, str(tmp_path_factory.mktemp("progan") / "cond"),
                          log=lambda _: None)
    return source, path, report


def test_progan_export_has_the_tfhub_progan_interface(conditional_export):
    source, path, report = conditional_export
    assert report["self_check"]["generator"] <= SELF_CHECK_TOLERANCE
    loaded = tf.saved_model.load(path)
    default = loaded.signatures["default"]
    _, inputs = default.structured_input_signature
    assert {k: tuple(v.shape) for k, v in inputs.items()} == {"default": (None, 8),
                                                              "y": (None, 3)}
    assert set(default.structured_outputs) == {"default"}
    z = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32) * 3
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]]
    images = default(default=tf.constant(z), y=tf.constant(y))["default"].numpy()
    assert images.shape == (5, 8, 8, 3)
    assert images.min() >= 0.0 and images.max() <= 1.0
    # The same images as the live generator, mapped from [-1, 1] to [0, 1].
    want = (source.generator(z, y, training=False).numpy() + 1) / 2
    np.testing.assert_allclose(images, want, atol=1e-5)
    logits = loaded.signatures["discriminator"](images=tf.constant(images[:4]))["logits"]
    np.testing.assert_allclose(
        logits.numpy(), source.discriminator(images[:4] * 2 - 1).numpy(), atol=1e-4)
    card = json.load(open(os.path.join(path, "model_card.json")))
    assert card["architecture"] == "progan" and card["z_sampling"] == "N(0, 1)"
    assert [i["name"] for i in card["signatures"]["default"]["inputs"]] == ["default", "y"]
    assert "default=z, y=y" in open(os.path.join(path, "model_card.md")).read()
    assert model_card.read(path)["resolution"] == 8


def test_unconditional_progan_export_takes_the_latent_alone(tmp_path):
    config = CONDITIONAL.replace(num_classes=1)
    path, _ = export(_source(config), str(tmp_path / "uncond"), log=lambda _: None)
    default = tf.saved_model.load(path).signatures["default"]
    assert set(default.structured_input_signature[1]) == {"default"}
    images = default(default=tf.random.normal([2, 8]))["default"]
    assert images.shape == (2, 8, 8, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="input 'default' holds NaN"):
        default(default=tf.fill([1, 8], np.nan))


def test_progan_export_converts_to_tflite_and_tfjs(conditional_export, tmp_path):
    _, path, _ = conditional_export
    for signature in ("default", "discriminator"):
        results = tflite.convert_and_verify(path, str(tmp_path / "tflite"), ("float32",),
                                            signature, log=lambda _: None)
        assert results["float32"][2] <= tflite.TOLERANCES["float32"], results
    if not tfjs.converter_installed():
        pytest.skip(f"tensorflowjs converter is not installed: {tfjs.CONVERTER_INSTALL}")
    skip_unless_node_packages()
    out = str(tmp_path / "tfjs")
    tfjs.convert(path, out)
    assert tfjs.verify(out, path, batches=(1, 4)) <= 1e-4
