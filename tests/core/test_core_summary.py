"""Parameter counts, FLOPs and the `python -m tfbiggan.summary` CLI."""
import json
import os
import subprocess
import sys

import pytest

from cli_helpers import REPO as ROOT
from tfbiggan.layers import SNDense, StandingBatchNorm
from tfbiggan.models import count_parameters, get_preset
from tfbiggan.summary import format_summary, summarize



def test_biggan_deep_128_generator_params_and_flops():
    info = summarize("biggan-deep-128", discriminator=False)
    assert info["generator_params"] == 50_388_609
    # PyTorch FlopCounter on the same architecture: 22.6 GFLOPs per image.
    assert abs(info["generator_gflops"] - 22.6) / 22.6 < 0.02
    assert info["discriminator_params"] is None
    assert "50,388,609" in format_summary(info)


@pytest.mark.slow
@pytest.mark.parametrize("preset, params, gflops", [
    ("biggan-deep-256", 55_880_833, 77.7), ("biggan-deep-512", 56_163_905, 151.5)])
def test_biggan_deep_generator_params_and_flops(preset, params, gflops):
    # hf's count of the published generators (and compare_gan's deep test).
    info = summarize(preset, discriminator=False)
    assert info["generator_params"] == params
    assert abs(info["generator_gflops"] - gflops) / gflops < 0.02


@pytest.mark.slow
def test_biggan_128_params():
    info = summarize("biggan-128", discriminator=True)
    assert info["generator_params"] == 70_433_988
    assert info["discriminator_params"] == 87_982_370
    # Paper, Table 1: G + D = 158.3M (rounded to 0.1M). We count 158.42M, 0.07%
    # more; leaving out G's 128k shared embedding would give 158.29M, so the
    # paper may count it differently. The bar is 1% for G and for D.
    total = info["generator_params"] + info["discriminator_params"]
    assert abs(total - 158.3e6) / 158.3e6 < 1e-3


def test_count_parameters_counts_trainable_scalars_only():
    # A batch norm over 5 channels, counted by hand: scale and offset are the
    # 10 trainable scalars; moving (2 x 5), standing (2 x 51 x 5) and
    # accumulator (5 + 5 + 1) statistics are not parameters.
    layer = StandingBatchNorm()
    layer.build((None, 5))
    assert count_parameters(layer) == 10
    assert count_parameters(layer, trainable=False) == 10 + 10 + 510 + 11
    # A spectrally normalised dense layer: kernel 4 x 3 and bias 3, not u.
    dense = SNDense(3)
    dense.build((None, 4))
    assert count_parameters(dense) == 15


def test_cli_json():
    result = subprocess.run(
        [sys.executable, "-m", "tfbiggan.summary", "--preset", "tiny-deep", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-2000:]
    info = json.loads(result.stdout.strip().splitlines()[-1])
    cfg = get_preset("tiny-deep")
    for key in ("generator_params", "discriminator_params", "generator_gflops",
                "z_dim", "num_classes", "resolution"):
        assert key in info
    assert (info["z_dim"], info["num_classes"], info["resolution"]) == (
        cfg.z_dim, cfg.num_classes, cfg.resolution)
    assert info["generator_params"] > 0 and info["discriminator_params"] > 0
    assert 0 < info["generator_gflops"] < 1

