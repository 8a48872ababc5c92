"""Feature extractors: stand-in models through save/load, preprocessing, errors."""
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.evaluate.classifier import build_small_classifier
from tfbiggan.metrics.extractors import ClassifierExtractor, InceptionExtractor
from tfbiggan.metrics.extractors import inception as extractors


def random_images(n, size, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(n, size, size, channels)).astype(np.float32)


# ---------------------------------------------------------------- classifier


def test_classifier_outputs_are_penultimate_and_logits():
    model = build_small_classifier(8, 1, 3, feature_dim=16)
    extractor = ClassifierExtractor(model, batch_size=3)
    images = random_images(7, 8, 1)
    out = extractor(images)
    assert out["features"].shape == (7, 16) and out["logits"].shape == (7, 3)
    features_model = keras.Model(model.input, model.get_layer("features").output)
    np.testing.assert_allclose(out["features"], features_model(images), atol=1e-5)
    np.testing.assert_allclose(out["logits"], model(images), atol=1e-5)
    assert re.fullmatch(r"small_classifier:[0-9a-f]{12}", extractor.name)


def test_classifier_round_trips_through_keras_file(tmp_path):
    model = build_small_classifier(8, 1, 4, name="digits_classifier", seed=3)
    extractor = ClassifierExtractor(model)
    path = str(tmp_path / "clf.keras")
    extractor.save(path)
    loaded = ClassifierExtractor.from_path(path)
    assert loaded.name == extractor.name
    assert loaded.name.startswith("digits_classifier:")
    images = random_images(5, 8, 1)
    for key in ("features", "logits"):
        np.testing.assert_allclose(loaded(images)[key], extractor(images)[key], atol=1e-6)


def test_classifier_name_tracks_weights_and_resizes_input():
    a = ClassifierExtractor(build_small_classifier(8, 1, 3, seed=0))
    b = ClassifierExtractor(build_small_classifier(8, 1, 3, seed=1))
    assert a.name != b.name
    out = a(random_images(2, 16, 1))              # resized to 8x8
    assert out["logits"].shape == (2, 3)
    with pytest.raises(ValueError, match=r"1-channel images, got 3"):
        a(random_images(2, 8, 3))


def test_classifier_rejects_softmax_head_and_missing_file(tmp_path):
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Flatten()(inputs)
    probs = keras.layers.Dense(3, activation="softmax")(x)
    with pytest.raises(ValueError, match=r"activation=None"):
        ClassifierExtractor(keras.Model(inputs, probs))
    with pytest.raises(FileNotFoundError, match=r"evaluate train-classifier"):
        ClassifierExtractor.from_path(str(tmp_path / "none.keras"))
    with pytest.raises(ValueError, match=r"\.keras"):
        ClassifierExtractor(build_small_classifier(4, 1, 2)).save(str(tmp_path / "x.h5"))


def test_image_checks():
    extractor = ClassifierExtractor(build_small_classifier(4, 1, 2))
    with pytest.raises(ValueError, match=r"\[-1, 1\].*127\.5"):
        extractor(np.full((2, 4, 4, 1), 255.0, np.float32))
    with pytest.raises(ValueError, match=r"4-D NHWC.*x\[None\]"):
        extractor(np.zeros((4, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"dtype uint8"):
        extractor(np.zeros((2, 4, 4, 1), np.uint8))


# ------------------------------------------------------ Inception SavedModel


class StandInInception(tf.Module):
    """Mimics TF-GAN's module: callable, dict with 'pool_3' [B,1,1,2048] and
    'logits' [B,1008]. Feature 0 is the input height and features 1..3 the
    per-channel means, so the test can see the preprocessing."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.random.stateless_normal([3, 2044], seed=[1, 2]))

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    def __call__(self, images):
        means = tf.reduce_mean(images, axis=[1, 2])
        height = tf.cast(tf.shape(images)[1], tf.float32) * tf.ones_like(means[:, :1])
        pool = tf.concat([height, means, means @ self.w], axis=1)
        return {"pool_3": tf.reshape(pool, [-1, 1, 1, 2048]),
                "logits": pool[:, 4:1012], "mixed_10": pool}


@pytest.fixture(scope="module")
def tfgan_like_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("inception") / "tfgan_eval_inception_1")
    tf.saved_model.save(StandInInception(), path)
    return path


def test_savedmodel_callable_preprocessing(tfgan_like_dir):
    extractor = InceptionExtractor.from_path(tfgan_like_dir, batch_size=4)
    assert re.fullmatch(r"inception_v3_tfgan_pool3:[0-9a-f]{12}", extractor.name)
    images = random_images(6, 32)
    out = extractor(images)
    assert out["features"].shape == (6, 2048) and out["logits"].shape == (6, 1008)
    np.testing.assert_array_equal(out["features"][:, 0], 299.0)   # resized to 299
    # TF-GAN's preprocess_image: TF1 bilinear resize; values stay in [-1, 1].
    reference = tf.compat.v1.image.resize_bilinear(images, [299, 299]).numpy()
    np.testing.assert_allclose(out["features"][:, 1:4], reference.mean(axis=(1, 2)),
                               atol=1e-5)
    grey = extractor(np.full((2, 299, 299, 1), -0.5, np.float32))["features"]
    np.testing.assert_allclose(grey[:, 1:4], -0.5, atol=1e-6)     # tiled to RGB
    assert InceptionExtractor.from_path(tfgan_like_dir).name == extractor.name


def test_savedmodel_signature_picked_by_output_width(tmp_path):
    inputs = keras.Input((299, 299, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(1008)(pooled),
                                 keras.layers.Dense(2048)(pooled)])
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serving_default", lambda x: tuple(model(x)),
        input_signature=[tf.TensorSpec([None, 299, 299, 3], tf.float32, name="x")])
    path = str(tmp_path / "sig_only")
    archive.write_out(path, verbose=False)

    extractor = InceptionExtractor.from_path(path)
    images = random_images(3, 20)
    out = extractor(images)
    resized = tf.compat.v1.image.resize_bilinear(images, [299, 299])
    logits, features = model(resized)
    np.testing.assert_allclose(out["features"], features, atol=1e-4)
    np.testing.assert_allclose(out["logits"], logits, atol=1e-4)


def test_savedmodel_without_logits_is_refused(tmp_path):
    class FeaturesOnly(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        def __call__(self, images):
            return {"pool_3": tf.reduce_mean(images, axis=[1, 2])}

    path = str(tmp_path / "features_only")
    tf.saved_model.save(FeaturesOnly(), path)
    with pytest.raises(ValueError, match=r"pool3 features and logits.*'pool_3'"):
        InceptionExtractor.from_path(path)


# --------------------------------------------------- Inception weights file


def tiny_keras_inception(image_size):
    """Stand-in with the layer names the Keras InceptionV3 path relies on."""
    inputs = keras.Input((image_size, image_size, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, keras.layers.Dense(5, activation="softmax",
                                                  name="predictions")(x))


def save_legacy_h5(model, path):
    """Writes weights in the Keras 2 .h5 layout of Keras' published files."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format
    with h5py.File(path, "w") as fh:
        legacy_h5_format.save_weights_to_hdf5_group(fh, model)


@pytest.mark.filterwarnings("ignore:Skipping nested container")
@pytest.mark.parametrize("filename", ["inception_v3.weights.h5",
                                      "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"])
def test_keras_weights_file(tmp_path, monkeypatch, filename):
    monkeypatch.setattr(extractors, "_build_keras_inception", tiny_keras_inception)
    reference = tiny_keras_inception(16)
    path = str(tmp_path / filename)
    if filename.endswith(".weights.h5"):
        reference.save_weights(path)
    else:
        save_legacy_h5(reference, path)

    extractor = InceptionExtractor.from_path(path, image_size=16)
    assert re.fullmatch(r"inception_v3_keras_pool3:[0-9a-f]{12}", extractor.name)
    images = random_images(4, 16)
    out = extractor(images)
    pooled = keras.Model(reference.input, reference.get_layer("avg_pool").output)
    np.testing.assert_allclose(out["features"], pooled(images), atol=1e-5)
    probs = tf.nn.softmax(out["logits"]).numpy()                  # pre-softmax
    np.testing.assert_allclose(probs, reference(images), atol=1e-5)

    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    bad = str(tmp_path / "other.weights.h5")
    other.save_weights(bad)
    with pytest.raises(ValueError, match=r"include_top=True"):
        InceptionExtractor.from_path(bad, image_size=16)


@pytest.mark.slow
def test_real_keras_inception_v3_small_input(tmp_path):
    model = keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3))
    path = str(tmp_path / "inception_v3.weights.h5")
    model.save_weights(path)
    out = InceptionExtractor.from_path(path, image_size=75)(random_images(2, 32))
    assert out["features"].shape == (2, 2048) and out["logits"].shape == (2, 1000)


# ------------------------------------------------------------- missing paths


def test_missing_inception_folder_names_expected_files(tmp_path):
    path = str(tmp_path / "models" / "tfgan_eval_inception_1")
    with pytest.raises(FileNotFoundError) as info:
        InceptionExtractor.from_path(path)
    message = str(info.value)
    assert os.path.join(path, "saved_model.pb") in message
    assert os.path.join(path, "variables") in message
    assert "tfgan/eval/inception/1" in message and "downloaded" in message


def test_missing_inception_weights_file_and_env_default(tmp_path, monkeypatch):
    path = str(tmp_path / "inception_v3_weights_tf_dim_ordering_tf_kernels.h5")
    with pytest.raises(FileNotFoundError, match=re.escape(f"copied to '{path}'")):
        InceptionExtractor.from_path(path)
    monkeypatch.setenv(extractors.INCEPTION_PATH_ENV, str(tmp_path / "from_env"))
    with pytest.raises(FileNotFoundError, match=r"(?s)from_env.*TFBIGGAN_INCEPTION_PATH"):
        InceptionExtractor.from_path()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"no saved_model\.pb"):
        InceptionExtractor.from_path(str(empty))
