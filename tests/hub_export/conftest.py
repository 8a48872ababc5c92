"""Fixtures of the hub_export tests. The real tiny export is in tests/conftest.py.

For the converter tests (TFLite, TF.js, web page) a stand-in SavedModel
(``edge_standin.py``) with the hub signature contract replaces the real
BigGAN export, so they take seconds.

Tests skip only when an external tool is absent, naming what to install:
ai-edge-litert (pip), tensorflowjs (pip), node + `npm ci` (npm), chromium (apt).
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
