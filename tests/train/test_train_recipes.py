"""The shipped ImageNet and CIFAR-10 recipes, end to end on synthetic data in the
real formats: the flagfile as written (only data paths, steps, batch, the
sample grid's size and model_dir overridden), then, for CIFAR-10, an export of
the checkpoint it leaves.

The 256 recipe is not exported here: the export path is the same for every
preset (the CIFAR-10 test and tests/hub_export cover it), and exporting
biggan-256 cost about 4 of CI's minutes."""
import os
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.data.synthetic import prepare_cifar10, write_imagenet_tars
from tfbiggan.run import load_run
from cli_helpers import REPO, run_cli


def _train(flagfile, model_dir, *data_flags, timeout=1500):
    start = time.time()
    # A 2 x 2 grid: the recipes' 10 x 8 grid of biggan-256 samples is a minute
    # of CPU that tests nothing more.
    result = run_cli([sys.executable, "-m", "tfbiggan.train",
                      f"--flagfile={os.path.join(REPO, 'configs', flagfile)}",
                      *data_flags, "--num_steps=2", "--batch_size=2",
                      "--grid_rows=2", "--grid_columns=2",
                      f"--model_dir={model_dir}"], timeout=timeout)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "step 2/2" in result.stdout
    assert tf.train.latest_checkpoint(model_dir).endswith("ckpt-2")
    assert os.path.isfile(os.path.join(model_dir, "samples.png"))
    # The recipes leave standing statistics to a later pass; export fills them.
    assert "No standing statistics (--standing_batches=0)" in result.stdout
    print(f"{flagfile}: training {time.time() - start:.0f} s")


def _export(model_dir, export_dir, timeout=1500):
    start = time.time()
    result = run_cli([sys.executable, "-m", "hub_export.export", f"--model_dir={model_dir}",
                      f"--output={export_dir}", "--compute_standing",
                      "--standing_batches=1", "--standing_batch_size=2"], timeout=timeout)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    print(f"export: {time.time() - start:.0f} s")
    return tf.saved_model.load(export_dir).signatures["default"]


def _images(signature, z_dim, num_classes, resolution):
    z = np.random.default_rng(0).standard_normal((1, z_dim)).astype(np.float32)
    y = np.eye(num_classes, dtype=np.float32)[[3]]
    images = signature(z=tf.constant(z), y=tf.constant(y),
                       truncation=tf.constant(0.5))["default"].numpy()
    assert images.shape == (1, resolution, resolution, 3)
    assert np.isfinite(images).all() and np.abs(images).max() <= 1.0


@pytest.mark.slow
def test_train_256_flagfile_on_synthetic_imagenet(tmp_path):
    manual, data_dir = str(tmp_path / "manual"), str(tmp_path / "tfds")
    write_imagenet_tars(manual)
    model_dir = str(tmp_path / "run")
    _train("256.flags", model_dir, f"--manual_dir={manual}", f"--data_dir={data_dir}")
    # The checkpoint restores into the inference models, every variable matched.
    run = load_run(model_dir)
    assert run.step == 2
    assert (run.config.resolution, run.config.z_dim, run.config.num_classes) == (
        256, 140, 1000)


@pytest.mark.slow
def test_train_cifar10_flagfile_on_synthetic_cifar10_then_export(tmp_path):
    data_dir = str(tmp_path / "tfds")
    prepare_cifar10(data_dir)
    model_dir = str(tmp_path / "run")
    _train("cifar10.flags", model_dir, f"--data_dir={data_dir}")
    signature = _export(model_dir, str(tmp_path / "export"))
    _images(signature, 128, 10, 32)
