"""Shared pytest set-up.

TensorFlow must be told about logical devices before it initialises, so the
split of the CPU into two logical devices (standing in for two accelerators)
happens here, once, at collection time.
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
