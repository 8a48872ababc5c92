"""The official-weights name maps against hf's own, for the full published layouts.

hf's ``build_tf_to_pytorch_map`` (its converter's map from the TF1 module's
variable names to its PyTorch parameters) and hf's ``BigGAN`` state dict are
the references: for biggan-deep-128/256/512 the names the importer expects
must be exactly those, with the shapes hf's converter expects (transposed
back to TF's layout). Building the models costs seconds; nothing runs them.
"""
import numpy as np
import pytest

from official_helpers import require_hf
from hub_export.official import configs, names
from hub_export.official.synthetic import hf_config_json
from tfbiggan.models import Generator, get_preset

# 256 and 512 only add blocks of the same kind; building them costs ~7 s each.
PRESETS = ("biggan-deep-128",
           pytest.param("biggan-deep-256", marks=pytest.mark.slow),
           pytest.param("biggan-deep-512", marks=pytest.mark.slow))


def _tf_layout(shape):
    """hf's converter transposes 2-D weights and convs; this undoes it."""
    shape = tuple(shape)
    if len(shape) == 2:
        return shape[::-1]
    if len(shape) == 4:
        return (shape[2], shape[3], shape[1], shape[0])
    return shape


@pytest.fixture(scope="module", params=PRESETS)
def layouts(request):
    hf = require_hf()
    from pytorch_pretrained_biggan import convert_tf_to_pytorch as converter
    config = get_preset(request.param)
    generator = Generator(config)
    generator.build()
    hf_config = hf.BigGANConfig.from_dict(hf_config_json(config))
    hf_model = hf.BigGAN(hf_config)
    return request.param, generator, hf_config, hf_model, converter


def test_hf_config_of_each_preset_is_hfs_own(layouts):
    name, _, hf_config, _, converter = layouts
    own = {"biggan-deep-128": converter.BigGAN128, "biggan-deep-256": converter.BigGAN256,
           "biggan-deep-512": converter.BigGAN512}[name]
    assert hf_config.to_dict() == {**own.to_dict(), "layers": [list(x) for x in own.layers]}


def test_tfhub_names_and_shapes_are_hfs_converter_map(layouts):
    _, generator, hf_config, hf_model, converter = layouts
    hf_map = converter.build_tf_to_pytorch_map(hf_model, hf_config)
    plan = names.tfhub_plan(generator)
    ours = {source: (shape, entry.kind) for entry in plan
            for source, shape in zip(entry.sources, entry.shapes)
            if not source.startswith("stack_")}
    assert sorted(ours) == sorted(hf_map)
    for source, pointer in hf_map.items():
        shape, kind = ours[source]
        if kind == names.SQUEEZE:    # hf squeezes these (u0 [1, out], gamma [1])
            assert int(np.prod(shape)) == pointer.numel(), source
        else:
            assert shape == _tf_layout(pointer.shape), source


def test_statistics_order_is_hfs(layouts):
    _, generator, _, hf_model, _ = layouts
    bns = names.batch_norm_paths(generator)
    # hf's extract_batch_norm_stats reads stack_{10i+1, 10i+3, 10i+6, 10i+8} in
    # turn, and load_tf_weights_in_biggan hands them to the layers' bn_0..bn_3,
    # then to the head, mean and variance alternating.
    hf_order = [f"stack_{10 * i + o}" for i in range(50) for o in (1, 3, 6, 8)][:2 * len(bns)]
    assert [n for pair in names.stats_tensor_names(len(bns)) for n in pair] == hf_order
    hf_bns = [m for m in hf_model.generator.modules()
              if type(m).__name__ == "BigGANBatchNorm"]
    variables = names.generator_variables(generator)
    assert [tuple(m.running_means.shape) for m in hf_bns] == [
        tuple(variables[f"{p}/standing_mean"].shape) for p in bns]


def test_hf_names_and_shapes_are_hfs_state_dict(layouts):
    _, generator, _, hf_model, _ = layouts
    plan = names.hf_plan(generator)
    ours = {source: tuple(shape) for entry in plan
            for source, shape in zip(entry.sources, entry.shapes)}
    state = {k: tuple(v.shape) for k, v in hf_model.state_dict().items()}
    assert ours == state


def test_every_generator_variable_is_planned_once(layouts):
    _, generator, *_ = layouts
    variables = set(names.generator_variables(generator))
    derived = names.derived_targets(generator)
    for plan in (names.tfhub_plan(generator), names.hf_plan(generator)):
        targets = [entry.target for entry in plan] + derived
        assert len(targets) == len(set(targets)) and set(targets) == variables


def test_preset_config_is_recognised(layouts):
    name, generator, *_ = layouts
    cfg = generator.config
    assert configs.deep_config(cfg.resolution, 1000, 128, 128, 128, 64) == (name, cfg)
    theta = names.generator_variables(generator)["attention/theta/kernel"]
    assert configs.attention_resolution(cfg.resolution, theta.shape[2], 128) == 64
