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



@pytest.mark.slow  # ~26 s: builds the full-size generator
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


def _sngan_cifar_counts(num_classes):
    """SNGAN's CIFAR-10 ResNet (Miyato et al. 2018, Table 4; the reference
    chainer code's blocks), counted by hand: G z(128) -> dense 4x4x256 -> 3 up
    blocks of 256 (BN, ReLU, conv3x3, BN, ReLU, conv3x3; 1x1 shortcut) -> BN,
    ReLU, conv3x3 -> 3. D: an optimized down block 3 -> 128, a down block, two
    plain blocks of 128 (1x1 shortcut only where it downsamples), ReLU, sum
    pooling, dense -> 1. Conditioning: class-wise BN gains/biases in G's
    blocks, a projection embedding in D."""
    conv = lambda k, i, o: k * k * i * o + o  # noqa: E731
    bn = 2 * 256 * (num_classes if num_classes > 1 else 1)
    up = bn + conv(3, 256, 256) + bn + conv(3, 256, 256) + conv(1, 256, 256)
    g = (128 * 4 * 4 * 256 + 4 * 4 * 256) + 3 * up + 2 * 256 + conv(3, 256, 3)
    plain = 2 * conv(3, 128, 128)
    d = (conv(3, 3, 128) + conv(3, 128, 128) + conv(1, 3, 128)
         + plain + conv(1, 128, 128) + 2 * plain + 129
         + (128 * num_classes if num_classes > 1 else 0))
    return g, d


@pytest.mark.parametrize("preset, num_classes", [("sngan-cifar", 10),
                                                 ("sngan-cifar-uncond", 1)])
def test_sngan_cifar_params_match_the_papers_architecture(preset, num_classes):
    info = summarize(preset, discriminator=True)
    g, d = _sngan_cifar_counts(num_classes)
    assert (info["generator_params"], info["discriminator_params"]) == (g, d)
    if num_classes == 10:
        assert (g, d) == (4_304_387, 1_055_105)


@pytest.mark.slow
def test_sagan_128_params_match_biggan_table_1():
    # BigGAN, Table 1, row 1 is SAGAN at 128x128 (ch 64, batch 256): 81.5M
    # parameters for G and D together. We count 81.47M.
    info = summarize("sagan-128", discriminator=True)
    assert info["generator_params"] == 42_017_412
    assert info["discriminator_params"] == 39_448_258
    total = info["generator_params"] + info["discriminator_params"]
    assert abs(total - 81.5e6) / 81.5e6 < 1e-3


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

