"""A wrong, missing or extra tensor in official-weights files is a clear error
naming it; the spectral-norm conversion of hf's buffers; format detection."""
import os
import shutil

import numpy as np
import pytest

from cli_helpers import run_cli
from hub_export import official
from hub_export.official import names, synthetic
from hub_export.official.assign import SourceTensorError, assign, check_source, sn_u_from_uv
from hub_export.official.hf_checkpoint import config_from_hf

QUIET = dict(log=lambda line: None)


class DictSource:
    """An in-memory file: ``{name: array}``."""

    def __init__(self, tensors, path="memory"):
        self.path = path
        self.tensors = dict(tensors)
        self.shapes = {k: tuple(np.shape(v)) for k, v in self.tensors.items()}

    def read(self, name):
        return self.tensors[name]


@pytest.fixture(scope="module")
def generator(official_config):
    return synthetic.random_generator(official_config, seed=0, standing="random")


@pytest.fixture(scope="module")
def tensors(generator):
    return synthetic.tfhub_tensors(generator)


@pytest.fixture(scope="module")
def plan(generator):
    return names.tfhub_plan(generator)


CONV = "Generator/GBlock_3/conv1/w/ema_0.9999"


def test_missing_tensor_is_named_with_its_target(plan, tensors):
    source = DictSource({k: v for k, v in tensors.items() if k != CONV})
    with pytest.raises(SourceTensorError, match=f"'{CONV}' is missing; it sets "
                                                "'block3/conv1/kernel'"):
        check_source(plan, source)


def test_wrong_shape_is_named(plan, tensors):
    bad = dict(tensors, **{CONV: np.zeros((3, 3, 8, 9), np.float32)})
    with pytest.raises(SourceTensorError, match=rf"'{CONV}' has shape \[3, 3, 8, 9\], "
                                                r"expected \[3, 3, 32, 32\]"):
        check_source(plan, DictSource(bad))


def test_unused_tensor_is_refused_unless_ignored(plan, tensors):
    extra = dict(tensors, global_step=np.zeros((), np.float32))
    with pytest.raises(SourceTensorError, match="'global_step'.*--ignore_unused"):
        check_source(plan, DictSource(extra))
    assert check_source(plan, DictSource(extra), ignore_unused="global_.*") == ["global_step"]


def test_size_one_dimensions_of_vectors_may_differ(plan, tensors):
    """hf's converter squeezes u0, gamma and the head's vectors; so do we."""
    u0 = "Generator/GBlock/conv0/u0"
    assert tensors[u0].shape[0] == 1
    changed = dict(tensors, **{u0: tensors[u0][0], "Generator/attention/gamma/ema_0.9999":
                               np.float32(0.5)})
    assert check_source(plan, DictSource(changed)) == []


@pytest.mark.parametrize("name, value, message", [
    (CONV, np.nan, "holds NaN or Inf"),
    ("stack_8", -1.0, "holds negative variances"),
])
def test_damaged_values_are_named(generator, plan, tensors, name, value, message):
    bad = dict(tensors)
    bad[name] = tensors[name].copy()
    bad[name].flat[3] = value
    with pytest.raises(SourceTensorError, match=f"'{name}' {message}"):
        assign(generator, plan, DictSource(bad), **QUIET)


def test_sn_u_reproduces_torchs_eval_sigma():
    rng = np.random.default_rng(0)
    for shape in ((6, 20), (20, 6), (5, 3, 3, 3)):   # wide, tall, conv [out, in, kh, kw]
        weight = rng.normal(size=shape).astype(np.float32)
        matrix = weight.reshape(shape[0], -1).astype(np.float64)
        u0 = rng.normal(size=shape[0])
        v = matrix.T @ u0
        v /= np.linalg.norm(v)
        u = matrix @ v
        u /= np.linalg.norm(u)
        torch_sigma = u @ matrix @ v                  # eval mode: stored buffers
        s = sn_u_from_uv(weight, u.astype(np.float32), v.astype(np.float32), "layer")
        v2 = matrix.T @ s
        v2 /= np.linalg.norm(v2)                      # tfbiggan: one step from s
        u2 = matrix @ v2
        u2 /= np.linalg.norm(u2)
        assert abs(u2 @ matrix @ v2 - torch_sigma) < 1e-5 * torch_sigma
    with pytest.raises(SourceTensorError, match="not normalize"):
        sn_u_from_uv(weight, rng.normal(size=shape[0]).astype(np.float32),
                     v.astype(np.float32), "layer")


def test_tfhub_module_with_missing_statistics(tensors, official_config, tmp_path):
    path = synthetic.write_tfhub_module(tmp_path / "m", tensors, official_config,
                                        drop=["stack_6"])
    with pytest.raises(SourceTensorError, match="statistics tensor 'stack_6' is missing"):
        official.load(path, **QUIET)


def test_tfhub_module_with_statistics_of_an_extra_batch_norm(tensors, official_config,
                                                             tmp_path):
    last = max(int(k[len("stack_"):]) for k in tensors if k.startswith("stack_"))
    table = tensors[f"stack_{last}"]
    path = synthetic.write_tfhub_module(tmp_path / "m", tensors, official_config, extra={
        f"stack_{last + 3}": table, f"stack_{last + 5}": table})
    with pytest.raises(SourceTensorError, match="one more batch norm"):
        official.load(path, **QUIET)


def test_tfhub_module_with_extra_variable(tensors, official_config, tmp_path):
    path = synthetic.write_tfhub_module(tmp_path / "m", tensors, official_config, extra={
        "Generator/GBlock/conv0/w": np.zeros((1, 1, 128, 32), np.float32)})
    with pytest.raises(SourceTensorError, match="'Generator/GBlock/conv0/w'"):
        official.load(path, **QUIET)
    source = official.load(path, ignore_unused=r".*/w", **QUIET)
    assert source.origin["tensors_ignored"] == ["Generator/GBlock/conv0/w"]


def test_non_deep_module_is_refused_with_the_reason(official_config, tmp_path):
    path = synthetic.write_tfhub_module(tmp_path / "m", {
        "Generator/G_Z/G_linear/w/ema_b999900": np.zeros((20, 16), np.float32)},
        official_config)
    with pytest.raises(SourceTensorError, match="non-deep BigGAN module.*standing"):
        official.load(path, **QUIET)


def _hf_config(**changes):
    from hub_export.official.synthetic import hf_config_json
    from tfbiggan.models import get_preset
    return dict(hf_config_json(get_preset("biggan-deep-256")), **changes)


def test_hf_config_is_checked_field_by_field():
    assert config_from_hf(_hf_config(), "c.json")[0] == "biggan-deep-256"
    layers = _hf_config()["layers"]
    layers[5] = [True, 8, 4]
    with pytest.raises(SourceTensorError, match=r"'layers' differs .* at index 5"):
        config_from_hf(_hf_config(layers=layers), "c.json")
    with pytest.raises(SourceTensorError, match="n_stats is 11"):
        config_from_hf(_hf_config(n_stats=11), "c.json")
    with pytest.raises(SourceTensorError, match="'z_dim' must be an integer"):
        config_from_hf(_hf_config(z_dim="128"), "c.json")
    with pytest.raises(SourceTensorError, match="follows a block that does not upsample"):
        config_from_hf(_hf_config(attention_layer_position=7), "c.json")


def test_hf_checkpoint_missing_tensor_and_pickled_objects(official_hf_dir, tmp_path):
    import torch
    state = torch.load(os.path.join(official_hf_dir, "pytorch_model.bin"), weights_only=True)
    missing = tmp_path / "missing"
    shutil.copytree(official_hf_dir, missing)
    key = "generator.layers.2.conv_1.weight_v"
    torch.save({k: v for k, v in state.items() if k != key}, missing / "pytorch_model.bin")
    with pytest.raises(SourceTensorError, match=f"'{key}' is missing"):
        official.load(str(missing), **QUIET)
    # A file that needs more than tensors to load is refused, never unpickled.
    pickled = tmp_path / "pickled"
    shutil.copytree(official_hf_dir, pickled)
    torch.save({"weights": state["embeddings.weight"], "hook": shutil.rmtree},
               pickled / "pytorch_model.bin")
    with pytest.raises(SourceTensorError, match="not a tensor-only torch state dict"):
        official.load(str(pickled), **QUIET)
    (pickled / "config.json").write_text("{not json")
    with pytest.raises(SourceTensorError, match="config.json: not valid JSON"):
        official.load(str(pickled), **QUIET)


def test_unknown_directory_names_both_layouts(tmp_path):
    (tmp_path / "model.ckpt").write_text("x")
    with pytest.raises(FileNotFoundError, match="neither a TF1 Hub module .* nor an hf"):
        official.detect_format(str(tmp_path))


def test_cli_reports_a_bad_source_in_one_line(tmp_path):
    out, source = tmp_path / "out", tmp_path / "source"
    source.mkdir()
    result = run_cli(["python", "-m", "hub_export.import_weights", f"--source={source}",
                      f"--output={out}"], timeout=300)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "neither a TF1" in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_cli_flags_are_checked_before_any_work(tmp_path, capsys):
    from hub_export import import_weights
    from tfbiggan.cli import run_command
    out, source = tmp_path / "out", tmp_path / "source"
    (out / "keep").mkdir(parents=True)
    source.mkdir()
    for argv, message in (
            ([f"--source={source}", f"--output={out}", "--ignore_unused=("],
             "is not a regular expression"),
            ([f"--source={source}"], "--source and --output are required"),
            ([f"--source={source}", f"--output={out}"], "pass --overwrite"),
            ([f"--source={source}", f"--output={source}/x", "--overwrite"],
             "lies inside --source")):
        assert run_command(import_weights.COMMAND, ["import_weights", *argv]) == 2
        errors = [line for line in capsys.readouterr().err.splitlines()
                  if line.startswith("error:")]
        assert len(errors) == 1 and message in errors[0], errors
    assert os.listdir(out) == ["keep"]
