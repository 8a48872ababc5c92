"""TF.js graph-model conversion of the hub SavedModel, checked in Node."""
import json
import os
import sys

import pytest

from edge_helpers import skip_unless_node_packages
from hub_export import tfjs


def test_graph_model_signature(standin_tfjs_model):
    with open(os.path.join(standin_tfjs_model, "model.json"), encoding="utf-8") as f:
        model_json = json.load(f)
    inputs = model_json["signature"]["inputs"]
    assert sorted(inputs) == ["truncation", "y", "z"]
    assert [d["size"] for d in inputs["z"]["tensorShape"]["dim"]] == ["-1", "8"]
    assert list(model_json["signature"]["outputs"]) == ["default"]
    # The decision-forests stand-in lives only in the converter's own process.
    assert "tensorflow_decision_forests" not in sys.modules


def test_graph_model_matches_savedmodel_in_node(standin_tfjs_model, standin_saved_model):
    skip_unless_node_packages()
    lines = []
    diff = tfjs.verify(standin_tfjs_model, standin_saved_model, batches=(1, 3),
                       truncations=(0.55, 1.0), log=lines.append)
    assert diff < 1e-4, "\n".join(lines)
    assert "@tensorflow/tfjs 4.22.0 on the cpu backend" in lines[0]


def test_missing_signature_is_a_clear_error(discriminator_only_saved_model, tmp_path):
    with pytest.raises(ValueError, match=r"no signature 'default'.*discriminator"):
        tfjs.convert(discriminator_only_saved_model, str(tmp_path))


def test_node_run_rejects_missing_model(tmp_path):
    skip_unless_node_packages()
    with pytest.raises(FileNotFoundError, match="No model.json"):
        tfjs.run_in_node(str(tmp_path), [])


def test_one_tfjs_version_everywhere():
    """The converter pin (tests/run.sh), the npm packages (package.json) and
    the Node script's hint all name hub_export.tfjs.TFJS_VERSION."""
    from cli_helpers import REPO
    package = json.load(open(os.path.join(REPO, "package.json")))
    assert {package["dependencies"][p] for p in package["dependencies"]
            if p.startswith("@tensorflow/")} == {tfjs.TFJS_VERSION}
    assert f'"tensorflowjs=={tfjs.TFJS_VERSION}"' in open(os.path.join(REPO, "tests",
                                                                       "run.sh")).read()
    script = open(os.path.join(REPO, "hub_export", "js", "run_graph_model.mjs")).read()
    assert f"@tensorflow/tfjs {tfjs.TFJS_VERSION}" in script
