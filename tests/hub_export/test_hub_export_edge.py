"""The real tiny export through TFLite (LiteRT), TF.js (Node) and the web demo (Chromium).

Reuses hub_export.tflite / tfjs / web; skips only when an external tool is
absent, naming what to install.
"""
import json
import os

import numpy as np
import pytest

from edge_helpers import render_site, skip_unless_node_packages
from hub_export import checks, tfjs, tflite
from hub_export.web import site



@pytest.fixture(scope="module")
def litert():
    return pytest.importorskip(
        "ai_edge_litert.interpreter",
        reason=f"ai-edge-litert is not installed: {tflite.LITERT_INSTALL}")


@pytest.fixture(scope="module")
def reference(tiny_export):
    return checks.SavedModelReference(tiny_export[0])


def test_tflite_float32_matches_savedmodel(litert, tiny_export, reference, tmp_path):
    path = tmp_path / tflite.output_filename("float32")
    path.write_bytes(tflite.convert(tiny_export[0], "float32"))
    runner, _ = tflite.load_runner(path)
    assert list(runner.get_input_details()["z"]["shape_signature"]) == [-1, 16]
    diff = tflite.verify(path, tiny_export[0], batches=(1, 3), truncations=(0.02, 0.55, 1.0),
                         reference=reference)
    assert diff < 1e-4
    # The truncation reaches the statistics in LiteRT too.
    feed = checks.make_inputs(reference.info, 2, 0.3, np.random.default_rng(0))
    low = runner(**dict(feed, truncation=np.float32(0.02)))["default"]
    high = runner(**dict(feed, truncation=np.float32(1.0)))["default"]
    assert np.abs(low - high).max() > 1e-3


def _non_finite_feeds(reference):
    """Row 1 of z is NaN in the first feed; truncation is NaN in the second."""
    feed = checks.make_inputs(reference.info, 3, 0.5, np.random.default_rng(1))
    bad_row = dict(feed, z=feed["z"].copy())
    bad_row["z"][1, 3] = np.nan
    return [bad_row, dict(feed, truncation=np.float32(np.nan))], feed


def _check_non_finite_outputs(outputs, reference, finite_feed):
    row, everything = outputs
    want = reference(finite_feed)["default"]
    assert np.isnan(row["default"][1]).all()
    np.testing.assert_allclose(row["default"][[0, 2]], want[[0, 2]], atol=1e-4)
    assert np.isnan(everything["default"]).all()


def test_tflite_non_finite_inputs_give_nan_rows(litert, tiny_export, reference, tmp_path):
    path = tmp_path / tflite.output_filename("float32")
    path.write_bytes(tflite.convert(tiny_export[0], "float32"))
    runner, _ = tflite.load_runner(path)
    feeds, finite = _non_finite_feeds(reference)
    _check_non_finite_outputs([runner(**f) for f in feeds], reference, finite)


def test_tflite_discriminator_signature_converts(litert, tiny_export, tmp_path):
    path = tmp_path / tflite.output_filename("float32", "discriminator")
    path.write_bytes(tflite.convert(tiny_export[0], "float32", "discriminator"))
    diff = tflite.verify(path, tiny_export[0], "discriminator", batches=(2,),
                         truncations=(0.5,))
    assert diff < 1e-3   # logits are sums over many activations


def test_tfjs_matches_savedmodel_in_node(tiny_tfjs, tiny_export, reference):
    skip_unless_node_packages()
    with open(os.path.join(tiny_tfjs, "model.json"), encoding="utf-8") as f:
        model_json = json.load(f)
    signature = model_json["signature"]
    # tfjs 4.22 cannot run EnsureShape; hub_export.tfjs rewrites it to Identity.
    assert "EnsureShape" not in {n["op"] for n in model_json["modelTopology"]["node"]}
    assert sorted(signature["inputs"]) == ["truncation", "y", "z"]
    assert list(signature["outputs"]) == ["default"]
    assert json.load(open(os.path.join(tiny_tfjs, "model_card.json")))["z_dim"] == 16
    lines = []
    diff = tfjs.verify(tiny_tfjs, tiny_export[0], batches=(1, 3),
                       truncations=(0.02, 0.55, 1.0), reference=reference, log=lines.append)
    assert diff < 1e-4, "\n".join(lines)


def test_tfjs_non_finite_inputs_give_nan_rows(tiny_tfjs, reference):
    skip_unless_node_packages()
    feeds, finite = _non_finite_feeds(reference)
    outputs, _ = tfjs.run_in_node(tiny_tfjs, feeds)
    _check_non_finite_outputs(outputs, reference, finite)


def test_web_page_renders_real_model_in_chromium(tiny_tfjs, reference, tmp_path):
    out = site.build_site(tiny_tfjs, tmp_path / "site")
    assert (out / "model" / "model_card.json").is_file()
    screenshot = tmp_path / "export_web.png"
    report = render_site(out, "?seed=2&truncation=0.4&count=4", screenshot)
    assert report["status"] == "ready", (report["status_text"], report["console"])
    assert report["demo"]["zDim"] == 16 and report["demo"]["numClasses"] == 4
    canvases = report["canvases"]
    assert len(canvases) == 4
    for c in canvases:
        assert (c["width"], c["height"]) == (32, 32)
        assert c["max"] > c["min"] and c["distinct"] > 8, c
    # The page draws the SavedModel's images for its own inputs (within 1 level).
    inputs = report["demo"]["lastInputs"]
    feed = {"z": np.asarray(inputs["z"], np.float32).reshape(inputs["zShape"]),
            "y": np.eye(4, dtype=np.float32)[inputs["classes"]],
            "truncation": np.float32(inputs["truncation"])}
    expected = np.clip((reference(feed)["default"] + 1) / 2, 0, 1) * 255
    drawn = np.asarray([c["rgb"] for c in canvases], np.float64).reshape(expected.shape)
    assert np.abs(drawn - expected).max() <= 1.0
