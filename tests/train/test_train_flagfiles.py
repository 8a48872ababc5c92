"""Every flagfile of the GAN lineage and of the reference architectures trains
for two steps as written (only the run directory, the data location, the
number of steps and batch, and the final standing-statistics pass are
overridden), and its options show up in what the step reports."""
import glob
import os

import numpy as np
import pytest
import tensorflow as tf

from cli_helpers import REPO
from tfbiggan.data.synthetic import prepare_cifar10, write_imagenet_tars
from tfbiggan.train.main import config_from_argv
from tfbiggan.train.strategy import make_strategy
from tfbiggan.train.training_run import TrainingRun

LINEAGE = sorted(glob.glob(os.path.join(REPO, "configs", "lineage", "*.flags")))
# What each flagfile's step must report besides the losses.
REPORTS = {"wgan_gp": "gradient_penalty", "r1": "r1", "sigma_reg": "sigma_reg",
           "sigma_clamp": "sigma_clamp", "feature_matching": "feature_matching",
           "feature_matching_plus": "feature_matching",
           "historical_averaging": "g_historical"}


def _train(flagfile, model_dir, *overrides):
    # Nested flagfiles (--flagfile=configs/digits.flags) resolve from the repo root.
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        config = config_from_argv([f"--flagfile={flagfile}", *overrides, "--num_steps=2",
                                   "--standing_batches=0", "--log_every=1"])
    finally:
        os.chdir(cwd)
    lines = []
    result = TrainingRun(config, make_strategy("default"), model_dir,
                         log=lines.append).train()
    assert result.step == 2 and tf.train.latest_checkpoint(model_dir)
    assert all(np.isfinite(v) for v in result.metrics.values()), result.metrics
    return config, result


# About 20 s each on 2 cores, so CI's slow run has them; the objective terms
# themselves are tested in the default suite (test_train_objectives.py).
@pytest.mark.slow
@pytest.mark.parametrize("path", LINEAGE, ids=[os.path.basename(p)[:-6] for p in LINEAGE])
def test_lineage_flagfile_trains(path, tmp_path, digits_data_dir):
    name = os.path.basename(path)[:-6]
    config, result = _train(path, str(tmp_path / name), f"--data_dir={digits_data_dir}",
                            "--batch_size=8")
    assert config.data.name == "digits" and config.model.resolution == 32
    if name in REPORTS:
        assert REPORTS[name] in result.metrics, result.metrics


def test_every_flagfile_is_covered():
    tested = {os.path.basename(p) for p in LINEAGE} | {
        "sngan_cifar.flags", "sngan_cifar_uncond.flags", "sagan128.flags",
        "digits.flags", "cifar10.flags", "256.flags",
        "progan_digits.flags"}  # test_train_progan.py
    # The other ImageNet recipes differ from 256.flags only in the preset.
    imagenet = {"128.flags", "512.flags", "deep128.flags", "deep256.flags",
                "deep512.flags"}
    on_disk = {os.path.basename(p) for p in glob.glob(os.path.join(
        REPO, "configs", "**", "*.flags"), recursive=True)}
    assert on_disk - imagenet == tested


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sngan_cifar", "sngan_cifar_uncond"])
def test_sngan_flagfile_trains_on_synthetic_cifar10(name, tmp_path):
    data_dir = str(tmp_path / "tfds")
    prepare_cifar10(data_dir)
    config, _ = _train(os.path.join(REPO, "configs", f"{name}.flags"),
                       str(tmp_path / name), f"--data_dir={data_dir}", "--batch_size=8")
    assert not config.model.g_spectral_norm and config.model.d_spectral_norm


@pytest.mark.slow
def test_sagan_flagfile_trains_on_synthetic_imagenet(tmp_path):
    manual = str(tmp_path / "manual")
    write_imagenet_tars(manual)
    config, _ = _train(os.path.join(REPO, "configs", "sagan128.flags"), str(tmp_path / "run"),
                       f"--manual_dir={manual}", f"--data_dir={tmp_path / 'tfds'}",
                       "--batch_size=2")
    assert config.model.g_attention == config.model.d_attention == 64
