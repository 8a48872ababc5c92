"""Every flagfile of the GAN lineage and of the reference architectures trains
for two steps as written (only the run directory, the data location, the
number of steps and batch, and the final standing-statistics pass are
overridden), and its options show up in what the step reports."""
import glob
import os

import numpy as np
import pytest
import tensorflow as tf

from cli_helpers import REPO, repo_config
from tfbiggan.data.synthetic import prepare_cifar10, write_imagenet_tars
from tfbiggan.train.strategy import make_strategy
from tfbiggan.train.training_run import TrainingRun

LINEAGE = sorted(glob.glob(os.path.join(REPO, "configs", "lineage", "*.flags")))
BASE = os.path.join("configs", "digits_base.flags")
# The settings each lineage flagfile changes in the base recipe: its idea,
# and nothing else.
IDEAS = {
    "feature_matching": {"feature_matching", "g_loss_weight"},
    "feature_matching_plus": {"feature_matching"},
    "fgan_kl": {"loss", "g_lr", "d_lr", "beta1"},
    "historical_averaging": {"historical_averaging"},
    "label_smoothing": {"loss", "real_target"},
    "lsgan": {"loss", "g_lr", "d_lr", "beta1"},
    "minibatch_discrimination": {"model.d_minibatch_kernels"},  # kernel_dim 5 is the default
    "mmgan": {"loss"},
    "no_sn": {"model.g_spectral_norm", "model.d_spectral_norm"},
    "nsgan": {"loss"},
    "r1": {"loss", "r1_gamma", "r1_interval"},
    "sigma_clamp": {"g_sigma_clamp_ratio"},
    "sigma_reg": {"g_sigma_reg", "g_sigma_ratio"},
    "virtual_batch_norm": {"virtual_batch_norm"},
    "wgan_clip": {"loss", "model.d_spectral_norm", "d_weight_clip", "optimizer", "g_lr",
                  "d_lr", "d_steps", "ortho_reg"},
    "wgan_gp": {"loss", "model.d_spectral_norm", "gp_weight", "g_lr", "d_lr", "beta2",
                "d_steps"},
}
# The flagfiles whose idea runs code of its own in the step, trained in the
# slow suite, with what the trained run must show. The others change only the
# loss or a model flag, whose code the objectives and model tests cover.
TRAINED = {
    "wgan_clip": lambda run, m: max(float(tf.reduce_max(tf.abs(v)))
                                    for v in run.trainer.discriminator.trainable_variables
                                    if "kernel" in v.path) <= 0.01 + 1e-7,
    "wgan_gp": lambda run, m: "gradient_penalty" in m,
    "r1": lambda run, m: "r1" in m,
    "sigma_reg": lambda run, m: "sigma_reg" in m,
    "sigma_clamp": lambda run, m: "sigma_clamp" in m,
    "feature_matching": lambda run, m: "feature_matching" in m,
    "historical_averaging": lambda run, m: "g_historical" in m and "d_historical" in m,
    "virtual_batch_norm": lambda run, m: int(run.trainer.vbn_reference[0].shape[0]) == 64,
    "minibatch_discrimination": lambda run, m: run.trainer.discriminator.minibatch is not None,
}


def _settings(config):
    """{name: value} of a TrainConfig, model fields as ``model.<field>``; the
    run directory left out (each flagfile names its own)."""
    values = {k: v for k, v in config.to_dict().items()
              if k not in ("model", "data", "model_dir")}
    values.update({f"model.{k}": v for k, v in config.model.to_dict().items()})
    values.update({f"data.{k}": v for k, v in config.to_dict()["data"].items()})
    return values


def _config(flagfile, *overrides):
    return repo_config(f"--flagfile={flagfile}", *overrides)


def _train(flagfile, model_dir, *overrides):
    config = _config(flagfile, *overrides, "--num_steps=2", "--standing_batches=0",
                     "--log_every=1")
    lines = []
    run = TrainingRun(config, make_strategy("default"), model_dir, log=lines.append)
    result = run.train()
    assert result.step == 2 and tf.train.latest_checkpoint(model_dir)
    assert all(np.isfinite(v) for v in result.metrics.values()), result.metrics
    return config, result, run


@pytest.mark.parametrize("path", LINEAGE, ids=[os.path.basename(p)[:-6] for p in LINEAGE])
def test_every_lineage_flagfile_sets_exactly_its_idea(path):
    base = _settings(_config(BASE))
    variant = _settings(_config(path))
    changed = {k for k in variant if variant[k] != base[k]}
    assert changed == IDEAS[os.path.basename(path)[:-6]]


# About 20 s each on 2 cores, so CI's slow run has them; the objective terms
# themselves are tested in the default suite (test_train_objectives.py).
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRAINED))
def test_lineage_flagfile_trains(name, tmp_path, digits_data_dir):
    path = os.path.join(REPO, "configs", "lineage", f"{name}.flags")
    config, result, run = _train(path, str(tmp_path / name),
                                 f"--data_dir={digits_data_dir}", "--batch_size=8")
    assert config.data.name == "digits" and config.model.resolution == 32
    assert TRAINED[name](run, result.metrics), result.metrics


def test_every_flagfile_is_covered():
    tested = {os.path.basename(p) for p in LINEAGE} | {
        "sngan_cifar.flags", "sngan_cifar_uncond.flags", "sagan128.flags",
        "digits.flags", "digits_base.flags", "cifar10.flags", "256.flags",
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
    config, _, _ = _train(os.path.join(REPO, "configs", f"{name}.flags"),
                       str(tmp_path / name), f"--data_dir={data_dir}", "--batch_size=8")
    assert not config.model.g_spectral_norm and config.model.d_spectral_norm


@pytest.mark.slow
def test_sagan_flagfile_trains_on_synthetic_imagenet(tmp_path):
    manual = str(tmp_path / "manual")
    write_imagenet_tars(manual)
    config, _, _ = _train(os.path.join(REPO, "configs", "sagan128.flags"), str(tmp_path / "run"),
                       f"--manual_dir={manual}", f"--data_dir={tmp_path / 'tfds'}",
                       "--batch_size=2")
    assert config.model.g_attention == config.model.d_attention == 64
