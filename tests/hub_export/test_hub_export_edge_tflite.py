"""TFLite conversion of the hub SavedModel, checked in the LiteRT runtime."""
import os
import subprocess
import sys

import pytest

from cli_helpers import REPO as REPO_ROOT

from hub_export import tflite



@pytest.fixture(scope="module")
def litert():
    return pytest.importorskip(
        "ai_edge_litert.interpreter",
        reason=f"ai-edge-litert is not installed: {tflite.LITERT_INSTALL}")


def _write(tmp_path, saved_model, variant):
    path = tmp_path / tflite.output_filename(variant)
    path.write_bytes(tflite.convert(saved_model, variant))
    return path


def test_float32_matches_savedmodel_with_dynamic_batch(litert, standin_saved_model, tmp_path):
    path = _write(tmp_path, standin_saved_model, "float32")
    runner, _ = tflite.load_runner(path)
    details = runner.get_input_details()
    assert sorted(details) == ["truncation", "y", "z"]
    assert list(details["z"]["shape_signature"]) == [-1, 8]      # batch stays dynamic
    assert list(details["truncation"]["shape_signature"]) == []
    # Batches 1 then 3 through one runner (inputs resized), two truncations.
    diff = tflite.verify(path, standin_saved_model, batches=(1, 3), truncations=(0.55, 1.0))
    assert diff < 1e-4


def test_quantized_variants_stay_within_documented_tolerance(
        litert, standin_saved_model, tmp_path):
    sizes = {}
    for variant in ("float32", "float16", "dynamic_range"):
        path = _write(tmp_path, standin_saved_model, variant)
        sizes[variant] = path.stat().st_size
        if variant != "float32":
            diff = tflite.verify(path, standin_saved_model, batches=(2,), truncations=(0.55,))
            assert diff <= tflite.TOLERANCES[variant], variant
    assert sizes["float16"] < sizes["float32"]
    assert sizes["dynamic_range"] < sizes["float32"]


def test_missing_signature_is_a_clear_error(discriminator_only_saved_model):
    with pytest.raises(ValueError, match=r"no signature 'default'.*discriminator"):
        tflite.convert(discriminator_only_saved_model, "float32")


def test_unknown_variant_is_rejected(standin_saved_model):
    with pytest.raises(ValueError, match="Unknown variant 'int4'"):
        tflite.convert(standin_saved_model, "int4")


def test_command_line_writes_and_checks_file(litert, standin_saved_model, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [REPO_ROOT, os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, "-m", "hub_export.tflite", f"--saved_model={standin_saved_model}",
         f"--output={tmp_path}", "--variants=float32"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "generator_float32.tflite").is_file()
    assert "float32: max|diff|" in proc.stdout and "(ok;" in proc.stdout, proc.stdout
