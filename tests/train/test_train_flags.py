"""Flags and flagfiles -> TrainConfig; bad settings fail with one message."""
import dataclasses
import glob
import os

import pytest

from cli_helpers import REPO, repo_config
from tfbiggan.train.config import ConfigError
from tfbiggan.train.main import config_from_argv, with_demo_default


def _parse(*argv):
    return repo_config(*argv)


def test_train_flags_defaults_are_the_papers_biggan_128_recipe():
    """The library defaults are the paper's recipe (Brock et al. 2019) as
    configs/128.flags writes it, but for where it runs and writes; every
    GAN-lineage option (R1 included) is off."""
    defaults = _parse("--preset=biggan-128")
    recipe = _parse(f"--flagfile={REPO}/configs/128.flags")
    where = ("strategy", "checkpoint_data_iterator", "standing_batches")
    assert dataclasses.replace(recipe, **{n: getattr(defaults, n) for n in where}) == defaults
    assert _parse() == defaults
    assert defaults.r1_gamma == 0 and defaults.gp_weight == 0 and defaults.data.name == "imagenet2012"


def test_train_with_no_flags_runs_the_digits_demo(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    argv = with_demo_default(["tfbiggan.train"])
    assert "training the digits demo (--flagfile=configs/digits.flags)" in capsys.readouterr().out
    demo = config_from_argv(argv[1:])
    assert demo == _parse(f"--flagfile={REPO}/configs/digits.flags")
    assert (demo.model.num_classes, demo.data.name, demo.r1_gamma) == (10, "digits", 1.0)
    assert with_demo_default(["tfbiggan.train", "--preset=tiny"]) == [
        "tfbiggan.train", "--preset=tiny"]


def test_train_with_no_flags_elsewhere_says_where_the_demo_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"no configs/digits.flags in .*--flagfile="):
        with_demo_default(["tfbiggan.train"])


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(REPO, "configs", "*.flags"))))
def test_train_flags_every_flagfile_is_valid(path):
    config = _parse(f"--flagfile={path}")  # checks itself when made
    name = os.path.basename(path)[:-6]
    if name.startswith("sagan"):
        # Zhang et al. 2019, Sec. 5: TTUR 1e-4 / 4e-4, Adam (0, 0.9), batch
        # 256, one D step, spectral norm in G and D.
        assert (config.batch_size, config.d_steps, config.g_lr, config.d_lr) == (
            256, 1, 1e-4, 4e-4)
        assert (config.beta1, config.beta2, config.loss) == (0.0, 0.9, "hinge")
        assert config.model.g_spectral_norm and config.model.d_spectral_norm
    elif name.startswith("sngan"):
        # Miyato et al. 2018, Appendix B (the ResNet runs): Adam lr 2e-4,
        # (0, 0.9), n_dis 5, batch 64.
        assert (config.batch_size, config.d_steps, config.g_lr, config.d_lr) == (
            64, 5, 2e-4, 2e-4)
        assert (config.beta1, config.beta2) == (0.0, 0.9)
    elif name[-3:] in ("128", "256", "512"):
        config.check_replicas(256)  # a v3-256 pod slice / 256 GPUs
        assert (config.batch_size, config.d_steps, config.g_lr, config.d_lr) == (
            2048, 2, 5e-5, 2e-4)
        assert (config.beta1, config.beta2, config.ortho_reg) == (0.0, 0.999, 1e-4)
        assert (config.ema_decay, config.ema_start, config.loss) == (0.9999, 20000, "hinge")
        assert config.model.resolution == int(name[-3:])
        assert config.model.is_deep == name.startswith("deep")
        assert config.data.name == "imagenet2012"


def test_train_flags_override_after_flagfile():
    config = _parse(f"--flagfile={REPO}/configs/deep256.flags", "--batch_size=256",
                    "--num_accumulations=8", "--g_ch=64", "--strategy=mirrored")
    assert (config.batch_size, config.num_accumulations) == (256, 8)
    assert config.model.g_ch == 64 and config.model.resolution == 256
    assert config.strategy == "mirrored"


def test_train_flags_inconsistent_values_are_refused():
    with pytest.raises(ConfigError, match="not divisible"):
        _parse("--batch_size=10", "--num_accumulations=4")
    with pytest.raises(ConfigError, match=r"replicas \(4\) = 4"):
        _parse("--batch_size=6").check_replicas(4)
    with pytest.raises(ConfigError, match="--preset='nope' is unknown"):
        _parse("--preset=nope")
    with pytest.raises(ConfigError, match="--dataset=folder needs --folder"):
        _parse("--dataset=folder")
    with pytest.raises(ConfigError, match=r"--resolution must be one of \(32, 64"):
        _parse("--resolution=48")
    with pytest.raises(ConfigError, match="Model flags: g_attention=12 is not a power"):
        _parse("--g_attention=12")
