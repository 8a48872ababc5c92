"""Fixtures of the training tests."""
import pytest


@pytest.fixture(scope="session")
def digits_data_dir(tmp_path_factory):
    """A tfds data_dir with the digits builder prepared (shared by the tests)."""
    from tfbiggan.data.digits_tfds import Digits
    path = str(tmp_path_factory.mktemp("tfds"))
    Digits(data_dir=path).download_and_prepare()
    return path
