"""The static demo page: site assembly, JS sampling, rendering in headless Chromium."""
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from edge_helpers import render_site, skip_unless_node_packages
from hub_export import checks, tfjs
from hub_export.web import site

LABELS = ["tench", "goldfish", "great white shark", "tiger shark", "hammerhead"]

_SAMPLING_CHECK = """
import {makeRng, sampleZ, sampleClasses, truncatedNormal} from './sampling.mjs';
const x = truncatedNormal(makeRng(7), 20000);
const mean = x.reduce((a, b) => a + b, 0) / x.length;
const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
const again = Array.from(sampleZ(makeRng(3), 2, 4, 0.5));
console.log(JSON.stringify({
  mean, std, maxAbs: Math.max(...x.map(Math.abs)),
  z: again, zSame: again.join() === Array.from(sampleZ(makeRng(3), 2, 4, 0.5)).join(),
  zOther: again.join() === Array.from(sampleZ(makeRng(4), 2, 4, 0.5)).join(),
  zMaxAbs: Math.max(...again.map(Math.abs)),
  fixed: Array.from(sampleClasses(makeRng(1), 3, 5, 2)),
  random: Array.from(sampleClasses(makeRng(1), 200, 5, -1)),
}));
"""


def test_sampling_js_is_seeded_truncated_normal(tmp_path):
    if shutil.which("node") is None:
        pytest.skip(f"node is not installed: {tfjs.NODE_INSTALL}")
    shutil.copyfile(site.PAGE_DIR / "sampling.js", tmp_path / "sampling.mjs")
    (tmp_path / "check.mjs").write_text(_SAMPLING_CHECK)
    out = subprocess.run(["node", "check.mjs"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    stats = json.loads(out)
    assert stats["maxAbs"] <= 2.0
    assert abs(stats["mean"]) < 0.03
    assert abs(stats["std"] - 0.8796) < 0.02      # std of N(0,1) truncated to [-2, 2]
    assert stats["zSame"] and not stats["zOther"]
    assert stats["zMaxAbs"] <= 1.0                # truncation 0.5 * bound 2
    assert stats["fixed"] == [2, 2, 2]
    assert set(stats["random"]) == {0, 1, 2, 3, 4}


def test_build_site_layout(tmp_path):
    skip_unless_node_packages()
    model = tmp_path / "fake_model"
    model.mkdir()
    (model / "model.json").write_text("{}")
    (model / "group1-shard1of1.bin").write_bytes(b"\0" * 8)
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(LABELS))
    out = site.build_site(model, tmp_path / "site", labels=labels)
    for name in ("index.html", "app.js", "sampling.js", "style.css", "tf.min.js",
                 "model/model.json", "model/group1-shard1of1.bin", "model/labels.json"):
        assert (out / name).is_file(), name
    html = (out / "index.html").read_text()
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "tf.min.js" in referenced
    assert not [r for r in referenced if "//" in r], referenced  # all local, no CDN
    bad = tmp_path / "bad.json"
    bad.write_text('"not a list"')
    with pytest.raises(ValueError, match="list of class names"):
        site.build_site(model, tmp_path / "site2", labels=bad)
    with pytest.raises(FileNotFoundError, match="No model.json"):
        site.build_site(tmp_path / "nothing", tmp_path / "site3")


def test_page_renders_images_in_headless_chromium(standin_tfjs_model, standin_saved_model,
                                                  tmp_path):
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(LABELS))
    out = site.build_site(standin_tfjs_model, tmp_path / "site", labels=labels)
    screenshot = tmp_path / "edge_web.png"
    report = render_site(out, "?seed=1&truncation=0.6&count=8", screenshot)

    assert report["status"] == "ready", (report["status_text"], report["console"])
    assert report["demo"]["zDim"] == 8 and report["demo"]["numClasses"] == 5
    assert screenshot.stat().st_size > 10_000
    canvases = report["canvases"]
    assert len(canvases) == 8
    for c in canvases:
        assert (c["width"], c["height"]) == (8, 8)
        assert c["max"] > c["min"] and c["std"] > 5 and c["distinct"] > 8, c
    assert len({round(c["mean"], 3) for c in canvases}) > 1   # images differ

    # The drawn pixels are the SavedModel's images for the page's own inputs,
    # mapped from [-1, 1] to 0..255 (float precision + rounding: within 1 level).
    inputs = report["demo"]["lastInputs"]
    feed = {"z": np.asarray(inputs["z"], np.float32).reshape(inputs["zShape"]),
            "y": np.eye(5, dtype=np.float32)[inputs["classes"]],
            "truncation": np.float32(inputs["truncation"])}
    assert np.abs(feed["z"]).max() <= 2 * 0.6 + 1e-6
    images = checks.SavedModelReference(standin_saved_model)(feed)["default"]
    expected = np.clip((images + 1) / 2, 0, 1) * 255
    drawn = np.asarray([c["rgb"] for c in canvases], np.float64).reshape(expected.shape)
    assert np.abs(drawn - expected).max() <= 1.0
