"""The hub SavedModel: interface, downstream loaders, frozen graph, input checks."""
import os

import numpy as np
import pytest
import tensorflow as tf

from hub_export import export
from hub_export.checks import FORBIDDEN_OPS, graph_op_types, self_check
from hub_export.freeze import nan_where_non_finite
from hub_export.source import random_source
from tfbiggan.sampling import one_hot, tfhub_truncated_z

Z_DIM, NUM_CLASSES, RES = 16, 4, 32   # the tiny preset


def _inputs(batch, truncation=0.5, seed=0):
    rng = np.random.default_rng(seed)
    z = tfhub_truncated_z(batch, Z_DIM, truncation, rng)
    y = one_hot(rng.integers(0, NUM_CLASSES, batch), NUM_CLASSES)
    return z, y


@pytest.fixture(scope="module")
def loaded(tiny_export):
    import tensorflow_hub as hub
    return hub.load(tiny_export[0])


def _generate(loaded, z, y, truncation):
    return loaded.signatures["default"](
        z=tf.constant(z), y=tf.constant(y),
        truncation=tf.constant(truncation, tf.float32))["default"].numpy()


def test_export_self_check_and_layout(tiny_export):
    path, report = tiny_export
    # Spectral norm folded into constant kernels keeps the outputs identical.
    assert report["self_check"]["generator"] <= 1e-6
    assert report["self_check"]["discriminator"] <= 1e-6
    assert {"saved_model.pb", "model_card.json", "model_card.md"} <= set(os.listdir(path))


@pytest.mark.parametrize("batch", [1, 3])
def test_default_signature_dynamic_batch(loaded, tiny_source, batch):
    sig = loaded.signatures["default"]
    assert sorted(sig.structured_outputs) == ["default"]
    z, y = _inputs(batch)
    images = _generate(loaded, z, y, 0.5)
    assert images.shape == (batch, RES, RES, 3) and images.dtype == np.float32
    assert np.all(np.abs(images) <= 1.0)
    want = tiny_source.generator(z, y, truncation=0.5, training=False).numpy()
    np.testing.assert_allclose(images, want, atol=1e-5)


def test_truncation_selects_standing_statistics(loaded):
    z, y = _inputs(2, truncation=0.3)
    low, high = _generate(loaded, z, y, 0.02), _generate(loaded, z, y, 1.0)
    assert np.abs(low - high).max() > 1e-3
    # Between grid points the statistics are interpolated, so the output moves.
    mid = _generate(loaded, z, y, 0.51)
    assert np.abs(mid - _generate(loaded, z, y, 0.5)).max() > 0


def test_truncation_outside_range_is_clamped(loaded):
    z, y = _inputs(2)
    np.testing.assert_array_equal(_generate(loaded, z, y, 1.7), _generate(loaded, z, y, 1.0))
    np.testing.assert_array_equal(_generate(loaded, z, y, -0.5), _generate(loaded, z, y, 0.0))


def test_soft_class_mix_is_accepted(loaded):
    z, _ = _inputs(1)
    y = np.full((1, NUM_CLASSES), 1.0 / NUM_CLASSES, np.float32)
    assert np.isfinite(_generate(loaded, z, y, 0.5)).all()


def test_nan_where_non_finite_marks_only_the_bad_rows():
    images = tf.ones([3, 2, 2, 3])
    z = np.zeros((3, 4), np.float32)
    z[1, 2] = np.inf
    out = nan_where_non_finite(images, [tf.constant(z), tf.constant(0.5)]).numpy()
    assert np.isnan(out[1]).all() and (out[[0, 2]] == 1.0).all()
    out = nan_where_non_finite(images, [tf.zeros([3, 4]), tf.constant(np.nan)])
    assert np.isnan(out.numpy()).all()


def test_graph_has_no_variables_or_control_flow(tiny_export):
    ops = graph_op_types(tiny_export[0])
    assert not set(ops) & FORBIDDEN_OPS, sorted(ops)
    assert "Conv2D" in ops and "Tanh" in ops          # the model really is in there
    # Spectral norm is folded: no power iteration left.
    assert "StopGradient" not in ops and "Sqrt" not in ops
    reloaded = tf.saved_model.load(tiny_export[0])
    assert not reloaded.signatures["default"].variables


def test_discriminator_signature_matches_model(loaded, tiny_source):
    z, y = _inputs(3)
    images = _generate(loaded, z, y, 0.5)
    out = loaded.signatures["discriminator"](images=tf.constant(images), y=tf.constant(y))
    assert sorted(out) == ["logits"]
    want = tiny_source.discriminator(images, y, training=False).numpy()
    assert out["logits"].shape == (3,)
    np.testing.assert_allclose(out["logits"].numpy(), want, atol=1e-5, rtol=1e-5)


def test_hub_keras_layer_inside_tf_keras_model(tiny_export, loaded):
    import tensorflow_hub as hub
    import tf_keras
    layer = hub.KerasLayer(tiny_export[0], signature="default", output_key="default")
    z_in = tf_keras.Input((Z_DIM,), name="z")
    y_in = tf_keras.Input((NUM_CLASSES,), name="y")
    images = layer(dict(z=z_in, y=y_in, truncation=tf.constant(0.5)))
    model = tf_keras.Model([z_in, y_in], images)
    z, y = _inputs(3)
    np.testing.assert_allclose(model([z, y]).numpy(), _generate(loaded, z, y, 0.5), atol=1e-6)


def test_tfsm_layer_in_keras3(tiny_export, loaded):
    import keras
    layer = keras.layers.TFSMLayer(tiny_export[0], call_endpoint="default")
    z, y = _inputs(2)
    out = layer(z, y=y, truncation=tf.constant(0.5))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out["default"]),
                               _generate(loaded, z, y, 0.5), atol=1e-6)


def test_self_check_catches_an_export_that_differs(tmp_path):
    source = random_source("tiny", seed=1, standing_batches=1,
                                  standing_batch_size=4, log=lambda line: None)
    path, report = export.export(source, str(tmp_path / "ok"), log=lambda line: None)
    assert report["self_check"]["generator"] <= report["self_check"]["generator_tolerance"]
    # The live model moves on (one standing-statistics row off by 1%): the
    # written graph no longer matches it, far beyond rounding.
    bn = source.generator.batch_norm_layers()[0]
    bn.standing_variance.assign(bn.standing_variance * 1.01)
    with pytest.raises(RuntimeError, match="exported generator differs"):
        self_check(path, source, export.export_interface(source.config))
