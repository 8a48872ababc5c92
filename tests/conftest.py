"""Shared pytest set-up and the fixtures several folders use.

TensorFlow must be told about logical devices before it initialises, so the
split of the CPU into two logical devices (standing in for two accelerators)
happens here, once, at collection time. Session fixtures are built only when a
test asks for them.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402


def _split_cpu(n=2):
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:  # already initialised by an earlier import
        pass


_split_cpu()


@pytest.fixture(scope="session")
def two_cpu_strategy():
    """MirroredStrategy over two logical CPU devices."""
    devices = [d.name for d in tf.config.list_logical_devices("CPU")][:2]
    assert len(devices) == 2, devices
    return tf.distribute.MirroredStrategy(devices)


@pytest.fixture(scope="session")
def digits_data_dir(tmp_path_factory):
    """A tfds data_dir with the digits builder prepared (shared by the tests)."""
    from tfbiggan.data.digits_tfds import Digits
    path = str(tmp_path_factory.mktemp("tfds"))
    Digits(data_dir=path).download_and_prepare()
    return path


@pytest.fixture(scope="session")
def tiny_source():
    """A ``hub_export.source.Source`` of the ``tiny`` preset, standing statistics
    from 1 batch of 4 per truncation."""
    from hub_export.source import random_source
    return random_source("tiny", seed=0, standing_batches=1, standing_batch_size=4,
                         log=lambda line: None)


@pytest.fixture(scope="session")
def tiny_export(tiny_source, tmp_path_factory):
    """``(path, report)`` of the exported tiny SavedModel (about 15 s)."""
    from hub_export.export import export
    out = tmp_path_factory.mktemp("export") / "tiny"
    return export(tiny_source, str(out), log=lambda line: None)


@pytest.fixture(scope="session")
def tiny_tfjs(tiny_export, tmp_path_factory):
    """The tiny export converted to a TF.js graph model (once per session)."""
    from hub_export import tfjs
    if not tfjs.converter_installed():
        pytest.skip(f"tensorflowjs converter is not installed: {tfjs.CONVERTER_INSTALL}")
    out = tmp_path_factory.mktemp("export") / "tiny_tfjs"
    tfjs.convert(tiny_export[0], str(out))
    return str(out)
