"""Input pipelines: BigGAN preprocessing, the digits tfds builder, folders."""
import os

import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.data import load_arrays
from tfbiggan.data.pipeline import (DataError, DataSpec, center_crop_resize,
                                    make_train_dataset, open_source)


def test_train_data_center_crop_resize():
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, 10:50] = 255  # the central 40x40 square is white
    out = center_crop_resize(tf.constant(image), 16).numpy()
    assert out.shape == (16, 16, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, 1.0, atol=1e-6)
    grey = center_crop_resize(tf.zeros([8, 8, 1], tf.uint8), 32).numpy()
    assert grey.shape == (32, 32, 3) and np.all(grey == -1.0)


def test_train_data_digits_builder_matches_arrays(digits_data_dir):
    source = open_source(DataSpec(name="digits", data_dir=digits_data_dir,
                                  shuffle_buffer=1))
    assert source.num_classes == 10
    ds = make_train_dataset(source, 32, 10, batch_size=16, seed=1)
    images, y = next(iter(ds))
    assert images.shape == (16, 32, 32, 3) and y.shape == (16, 10)
    assert -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
    # Images of the same split as load_arrays (tfds stores its own order), equal
    # up to uint8 quantisation, with the same labels.
    arrays, labels = load_arrays("digits", 32, "train")
    for image, label in zip(images.numpy(), np.argmax(y.numpy(), 1)):
        error = np.abs(arrays - image).max(axis=(1, 2, 3))
        assert error.min() < 0.02 and labels[error.argmin()] == label


def test_train_data_folder_of_class_folders(tmp_path):
    for label, value in (("cat", 0), ("dog", 255)):
        os.makedirs(tmp_path / label)
        for i in range(3):
            data = tf.io.encode_png(tf.fill([20, 30, 3], tf.constant(value, tf.uint8)))
            tf.io.write_file(str(tmp_path / label / f"{i}.png"), data)
    source = open_source(DataSpec(name="folder", folder=str(tmp_path), shuffle_buffer=10))
    assert source.num_classes == 2
    images, y = next(iter(make_train_dataset(source, 8, 2, batch_size=6)))
    labels = np.argmax(y.numpy(), 1)
    assert sorted(labels) == [0, 0, 0, 1, 1, 1]
    for image, label in zip(images.numpy(), labels):
        np.testing.assert_allclose(image, 1.0 if label else -1.0, atol=1e-6)
    with pytest.raises(DataError, match="not a directory"):
        open_source(DataSpec(name="folder", folder=str(tmp_path / "nope")))
