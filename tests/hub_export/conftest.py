"""Fixtures of the hub_export tests. The real tiny export is in tests/conftest.py.

For the converter tests (TFLite, TF.js, web page) a stand-in SavedModel
(``edge_standin.py``) with the hub signature contract replaces the real
BigGAN export, so they take seconds.

The official-weights tests share one small BigGAN-deep with random weights,
written in both official formats (``official_*`` fixtures): a TF1 Hub module
in the official layout, and hf's own BigGAN class holding the same weights
(converted by hf's converter), saved as hf saves it.

Tests skip only when an external tool is absent, naming what to install:
ai-edge-litert (pip), tensorflowjs (pip), node + `npm ci` (npm), chromium (apt),
torch + pytorch-pretrained-biggan (pip).
"""
import pytest

import edge_standin
from hub_export import tfjs


@pytest.fixture(scope="session")
def standin_saved_model(tmp_path_factory):
    """Path of the stand-in SavedModel (signatures 'default' and 'discriminator')."""
    return edge_standin.write_standin_saved_model(
        tmp_path_factory.mktemp("edge") / "standin_saved_model")


@pytest.fixture(scope="session")
def discriminator_only_saved_model(tmp_path_factory):
    """A SavedModel that lacks the 'default' signature."""
    return edge_standin.write_standin_saved_model(
        tmp_path_factory.mktemp("edge") / "no_default", with_default=False)


@pytest.fixture(scope="session")
def standin_tfjs_model(standin_saved_model, tmp_path_factory):
    """The stand-in converted to a TF.js graph model (converted once per session)."""
    if not tfjs.converter_installed():
        pytest.skip(f"tensorflowjs converter is not installed: {tfjs.CONVERTER_INSTALL}")
    out = tmp_path_factory.mktemp("edge") / "tfjs_model"
    tfjs.convert(standin_saved_model, str(out))
    return str(out)


# --- official weights: one synthetic model in both official formats ----------

OFFICIAL_CONFIG_FIELDS = dict(architecture="biggan-deep", resolution=128, num_classes=1000,
                              z_dim=16, g_ch=8, d_ch=8, embed_dim=16, g_attention=64,
                              d_attention=64)


@pytest.fixture(scope="session")
def official_config():
    """A BigGAN-deep 128 with ch 8 and z 16: hf's BigGAN can have this layout
    (its embedding width is z_dim, its last block ends at ch), the 1000 classes
    make the importer attach the ImageNet class list, and it runs in
    milliseconds."""
    from tfbiggan.models import BigGANConfig
    return BigGANConfig(**OFFICIAL_CONFIG_FIELDS)


@pytest.fixture(scope="session")
def official_generator(official_config):
    """Random weights, standing statistics accumulated (about 10 s)."""
    from hub_export.official import synthetic
    return synthetic.random_generator(official_config, seed=3)


@pytest.fixture(scope="session")
def official_tfhub_dir(official_generator, official_config, tmp_path_factory):
    """The generator's weights as a TF1 Hub module of the official layout."""
    from hub_export.official import synthetic
    path = tmp_path_factory.mktemp("official") / "tfhub_module"
    return synthetic.write_tfhub_module(path, synthetic.tfhub_tensors(official_generator),
                                        official_config)


@pytest.fixture(scope="session")
def official_hf_model(official_tfhub_dir, official_config):
    """hf's BigGAN holding the module's weights, converted by hf's converter."""
    from official_helpers import hf_model_from_tfhub
    from hub_export.official.synthetic import hf_config_json
    return hf_model_from_tfhub(official_tfhub_dir, hf_config_json(official_config))


@pytest.fixture(scope="session")
def official_hf_dir(official_hf_model, tmp_path_factory):
    """hf's model saved as hf saves it (pytorch_model.bin + config.json)."""
    from hub_export.official import synthetic
    return synthetic.write_hf_checkpoint(
        tmp_path_factory.mktemp("official") / "hf", official_hf_model)


def _import(source, tmp_path_factory):
    from hub_export.import_weights import import_weights
    out = tmp_path_factory.mktemp("official_exports") / "export"
    return import_weights(source, str(out), log=lambda line: None)


@pytest.fixture(scope="session")
def official_tfhub_export(official_tfhub_dir, tmp_path_factory):
    """``(export_path, report)`` of the TF1 module imported and exported."""
    return _import(official_tfhub_dir, tmp_path_factory)


@pytest.fixture(scope="session")
def official_hf_export(official_hf_dir, tmp_path_factory):
    """``(export_path, report)`` of the hf directory imported and exported."""
    return _import(official_hf_dir, tmp_path_factory)
