"""The shipped ImageNet and CIFAR-10 recipes, end to end on synthetic data in the
real formats: the flagfile as written (only data paths, steps, batch and
model_dir overridden), then an export of the checkpoint it leaves."""
import os
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.data.synthetic import prepare_cifar10, write_imagenet_tars
from cli_helpers import REPO, run_cli


def _train_and_export(flagfile, model_dir, export_dir, *data_flags, timeout=1500):
    start = time.time()
    result = run_cli([sys.executable, "-m", "tfbiggan.train",
                      f"--flagfile={os.path.join(REPO, 'configs', flagfile)}",
                      *data_flags, "--num_steps=2", "--batch_size=2",
                      f"--model_dir={model_dir}"], timeout=timeout)
    seconds = time.time() - start
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "step 2/2" in result.stdout
    assert tf.train.latest_checkpoint(model_dir).endswith("ckpt-2")
    assert os.path.isfile(os.path.join(model_dir, "samples.png"))
    # The recipes leave standing statistics to a later pass; export fills them.
    assert "No standing statistics (--standing_batches=0)" in result.stdout
    result = run_cli([sys.executable, "-m", "hub_export.export", f"--model_dir={model_dir}",
                      f"--output={export_dir}", "--compute_standing",
                      "--standing_batches=1", "--standing_batch_size=2"], timeout=timeout)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    print(f"{flagfile}: training {seconds:.0f} s, total {time.time() - start:.0f} s")
    return tf.saved_model.load(export_dir).signatures["default"]


def _images(signature, z_dim, num_classes, resolution):
    z = np.random.default_rng(0).standard_normal((1, z_dim)).astype(np.float32)
    y = np.eye(num_classes, dtype=np.float32)[[3]]
    images = signature(z=tf.constant(z), y=tf.constant(y),
                       truncation=tf.constant(0.5))["default"].numpy()
    assert images.shape == (1, resolution, resolution, 3)
    assert np.isfinite(images).all() and np.abs(images).max() <= 1.0


@pytest.mark.slow
def test_train_256_flagfile_on_synthetic_imagenet_then_export(tmp_path):
    manual, data_dir = str(tmp_path / "manual"), str(tmp_path / "tfds")
    write_imagenet_tars(manual)
    signature = _train_and_export("256.flags", str(tmp_path / "run"),
                                  str(tmp_path / "export"), f"--manual_dir={manual}",
                                  f"--data_dir={data_dir}")
    _images(signature, 140, 1000, 256)


@pytest.mark.slow
def test_train_cifar10_flagfile_on_synthetic_cifar10_then_export(tmp_path):
    data_dir = str(tmp_path / "tfds")
    prepare_cifar10(data_dir)
    signature = _train_and_export("cifar10.flags", str(tmp_path / "run"),
                                  str(tmp_path / "export"), f"--data_dir={data_dir}")
    _images(signature, 128, 10, 32)
