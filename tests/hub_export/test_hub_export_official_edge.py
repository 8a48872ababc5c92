"""An imported official-format model through TFLite, TF.js (float16, sharded) and
the demo page with the ImageNet class search, each checked against the SavedModel.

The model is the small synthetic BigGAN-deep of the ``official_*`` fixtures;
``bench/official_weights.py`` runs the same at full size and measures it.

Float16 weights: the random test model amplifies weight rounding a lot
(rounding its weights to float16 in TensorFlow moves its images by 0.03-0.1),
so the float16 variants are held to a multiple of that measured effect
(``float16_tolerance``), and checked at truncations 0.5 and 1.0. At other truncations the converters'
float16 rounding also moves the truncation grid the statistics are picked by
(``tfbiggan.truncation.interpolation_weights`` stores the grid 0.00, 0.02, ...
as a constant; float16 holds only 0, 0.5 and 1 of it exactly), which mixes a
little of the neighbouring rows in.
"""
import json
import os

import numpy as np
import pytest

from edge_helpers import render_site, skip_unless_node_packages
from hub_export import checks, official, tfjs, tflite
from hub_export.web import site

TRUNCATIONS = (0.4, 1.0)
FLOAT16_TRUNCATIONS = (0.5, 1.0)     # float16 holds these grid points exactly


# Full conversions of the official-layout model: minutes on 2 cores.
pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def export_path(official_tfhub_export):
    return official_tfhub_export[0]


@pytest.fixture(scope="module")
def reference(export_path):
    return checks.SavedModelReference(export_path)


@pytest.fixture(scope="module")
def float16_tolerance(official_tfhub_dir, reference):
    """5x the largest change that rounding every variable of the imported
    generator to float16 makes on the float16 test feeds, plus 1e-2.

    The converters round the folded W / sigma instead of W (sigma then no
    longer compensates), which moves this model's images by up to 2.5x the
    effect measured here; a wrong tensor or op moves them by ~1.
    """
    generator = official.load(official_tfhub_dir, log=lambda line: None).generator
    feeds = checks.make_cases(reference.info, (1,), FLOAT16_TRUNCATIONS) + checks.make_cases(
        reference.info, (2,), (0.5,), seed=1)

    def images():
        return [generator(f["z"], f["y"], truncation=float(f["truncation"])).numpy()
                for f in feeds]
    exact = images()
    for variable in generator.variables:
        variable.assign(variable.numpy().astype(np.float16).astype(np.float32))
    rounded = images()
    effect = max(float(np.abs(a - b).max()) for a, b in zip(exact, rounded))
    return 5 * effect + 1e-2


@pytest.fixture(scope="module")
def float16_tfjs(export_path, tmp_path_factory):
    if not tfjs.converter_installed():
        pytest.skip(f"tensorflowjs converter is not installed: {tfjs.CONVERTER_INSTALL}")
    out = tmp_path_factory.mktemp("official_tfjs") / "float16"
    tfjs.convert(export_path, str(out), quantize="float16")
    return str(out)


@pytest.mark.parametrize("variant", ["float32", "float16"])
def test_tflite_matches_savedmodel(export_path, reference, tmp_path, variant, request):
    pytest.importorskip("ai_edge_litert.interpreter",
                        reason=f"ai-edge-litert is not installed: {tflite.LITERT_INSTALL}")
    path = tmp_path / tflite.output_filename(variant)
    path.write_bytes(tflite.convert(export_path, variant))
    if variant == "float32":
        diff = tflite.verify(path, export_path, batches=(1, 2), truncations=TRUNCATIONS,
                             reference=reference)
        assert diff < tflite.TOLERANCES["float32"]
    else:
        diff = tflite.verify(path, export_path, batches=(1, 2), truncations=(0.5,),
                             reference=reference)
        diff = max(diff, tflite.verify(path, export_path, batches=(1,),
                                       truncations=FLOAT16_TRUNCATIONS, reference=reference))
        assert diff < request.getfixturevalue("float16_tolerance")


def test_tfjs_float16_is_quantized_sharded_and_matches(float16_tfjs, export_path,
                                                       reference, float16_tolerance):
    skip_unless_node_packages()
    with open(os.path.join(float16_tfjs, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)["weightsManifest"]
    weights = [w for group in manifest for w in group["weights"]]
    assert {w["quantization"]["dtype"] for w in weights if "quantization" in w} == {"float16"}
    assert all(len(group["paths"]) >= 1 for group in manifest)
    # float16 weights halve the download: below 60% of the float32 export.
    shards = sum(os.path.getsize(os.path.join(float16_tfjs, p))
                 for group in manifest for p in group["paths"])
    saved = os.path.getsize(os.path.join(export_path, "saved_model.pb"))
    assert shards < 0.6 * saved
    diff = tfjs.verify(float16_tfjs, export_path, batches=(1,),
                       truncations=FLOAT16_TRUNCATIONS, reference=reference)
    assert diff < float16_tolerance


def test_page_searches_imagenet_classes_and_draws_the_model(float16_tfjs, reference,
                                                            float16_tolerance, tmp_path):
    out = site.build_site(float16_tfjs, tmp_path / "site")
    report = render_site(out, "?seed=1&truncation=0.5&count=2", tmp_path / "page.png",
                         search="n0144")
    assert report["status"] == "ready", (report["status_text"], report["console"])
    # tensorflow-datasets' imagenet2012 list came with the model card.
    assert report["search"]["shown"] == ["0: n01440764", "1: n01443537"]
    assert report["search"]["picked"] == "0"
    inputs = report["demo"]["lastInputs"]
    assert inputs["classes"] == [0, 0] and report["demo"]["loadMs"] > 0
    assert report["demo"]["renders"] == 2   # the first grid, then the picked class
    feed = {"z": np.asarray(inputs["z"], np.float32).reshape(inputs["zShape"]),
            "y": np.eye(1000, dtype=np.float32)[inputs["classes"]],
            "truncation": np.float32(inputs["truncation"])}
    images = reference(feed)["default"]
    expected = np.clip((images + 1) / 2, 0, 1) * 255
    drawn = np.asarray([c["rgb"] for c in report["canvases"]], np.float64).reshape(
        expected.shape)
    # float16 weights, in 0..255 levels, plus rounding.
    assert np.abs(drawn - expected).max() <= float16_tolerance * 127.5 + 1
    assert drawn.std() > 20
