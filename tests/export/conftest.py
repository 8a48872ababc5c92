"""One real export of the tiny preset, shared by the tests/export modules.

The export (random weights, standing statistics from 1 batch of 4 per
truncation) takes about 15 s on 2 cores; the TF.js conversion is shared too.
"""
import pytest

from hub_export import export, tfjs


@pytest.fixture(scope="session")
def tiny_source():
    """An ``export.Source`` for the ``tiny`` preset with standing statistics."""
    return export.random_source("tiny", seed=0, standing_batches=1, standing_batch_size=4,
                                log=lambda line: None)


@pytest.fixture(scope="session")
def tiny_export(tiny_source, tmp_path_factory):
    """``(path, report)`` of the exported tiny SavedModel."""
    out = tmp_path_factory.mktemp("export") / "tiny"
    return export.export(tiny_source, str(out), log=lambda line: None)


@pytest.fixture(scope="session")
def tiny_tfjs(tiny_export, tmp_path_factory):
    """The tiny export converted to a TF.js graph model (once per session)."""
    if not tfjs.converter_installed():
        pytest.skip(f"tensorflowjs converter is not installed: {tfjs.CONVERTER_INSTALL}")
    out = tmp_path_factory.mktemp("export") / "tiny_tfjs"
    tfjs.convert(tiny_export[0], str(out))
    return str(out)
