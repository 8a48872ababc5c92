"""The training hook: metrics that can tell real-like samples from noise, and
extractor identities that are never mixed."""
import os

import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.data import load_arrays
from tfbiggan.evaluate.classifier import build_small_classifier
from tfbiggan.evaluate.hook import make_training_eval_hook
from tfbiggan.evaluate.references import (get_reference_stats, real_image_batches,
                                          reference_stats_path)
from tfbiggan.evaluate.scoring import metrics_from_outputs
from tfbiggan.metrics.extractors import ClassifierExtractor
from tfbiggan.metrics.reference_stats import save_reference_stats
from tfbiggan.models import get_preset

EXPECTED_KEYS = {"fid", "inception_score", "inception_score_std", "kid", "kid_std",
                 "precision", "recall", "accuracy", "num_samples"}


class HeldOutDigits:
    """Stand-in generator returning held-out (test-split) digits of the
    requested class, the example picked by z; as good as a generator gets."""

    def __init__(self, config):
        self.config = config
        images, labels = load_arrays("digits", config.resolution, "test")
        order = np.argsort(labels, kind="stable")
        self.images = tf.constant(images[order])
        counts = np.bincount(labels, minlength=config.num_classes)
        self.starts = tf.constant(np.concatenate([[0], np.cumsum(counts)[:-1]]), tf.int64)
        self.counts = tf.constant(counts, tf.int64)

    def __call__(self, z, y, truncation=None, training=False):
        label = tf.argmax(y, axis=1)
        pick = tf.cast(tf.abs(z[:, 0]) * 1e4, tf.int64) % tf.gather(self.counts, label)
        return tf.gather(self.images, tf.gather(self.starts, label) + pick)


class Noise:
    """Stand-in generator returning uniform noise in [-1, 1]."""

    def __init__(self, config):
        self.config = config

    def __call__(self, z, y, truncation=None, training=False):
        r = self.config.resolution
        seed = tf.cast(tf.abs(z[:2, 0]) * 1e4, tf.int32)
        return tf.random.stateless_uniform([tf.shape(z)[0], r, r, 3], seed, -1.0, 1.0)


def test_hook_separates_real_like_samples_from_noise(digits_classifier_path,
                                                      eval_cache_dir):
    config = get_preset("digits")
    hook = make_training_eval_hook(
        config, "digits", None, f"classifier:{digits_classifier_path}",
        num_samples=200, cache_dir=eval_cache_dir, seed=0)
    assert hook.extractor_name.startswith("digits_classifier:")
    # The reference stats are cached under the extractor's name, and reused.
    assert os.path.isfile(hook.reference_path)
    assert hook.extractor_name.replace(":", "-") in os.path.basename(hook.reference_path)
    mtime = os.path.getmtime(hook.reference_path)

    real = hook(0, HeldOutDigits(config))
    noise = hook(1, Noise(config))
    for results in (real, noise):
        assert set(results) == EXPECTED_KEYS
        assert all(isinstance(v, float) for v in results.values())
    assert real["fid"] * 5 < noise["fid"], (real, noise)
    assert real["kid"] < noise["kid"]
    assert real["accuracy"] > 0.8 > 0.3 > noise["accuracy"], (real, noise)
    assert real["inception_score"] > noise["inception_score"]
    assert real["precision"] > noise["precision"]
    assert [s for s, _ in hook.history] == [0, 1]

    again = make_training_eval_hook(
        config, "digits", None, f"classifier:{digits_classifier_path}", 20,
        eval_cache_dir, 0)
    assert again.reference_path == hook.reference_path
    assert os.path.getmtime(hook.reference_path) == mtime


def test_hook_needs_enough_samples(digits_classifier_path, eval_cache_dir):
    with pytest.raises(ValueError, match="num_samples"):
        make_training_eval_hook(get_preset("digits"), "digits", None,
                                  f"classifier:{digits_classifier_path}", 5,
                                  eval_cache_dir, 0)


def test_extractors_are_never_mixed(tmp_path, digits_classifier_path, eval_cache_dir):
    mine = ClassifierExtractor.from_path(digits_classifier_path)
    other = ClassifierExtractor(build_small_classifier(32, 3, 10, seed=3,
                                                       name="digits_classifier"))
    assert mine.name != other.name
    stats, path = get_reference_stats(mine, "digits", 32, eval_cache_dir)
    # Stats of one extractor handed to another: refused when loading...
    with pytest.raises(ValueError, match="not comparable"):
        get_reference_stats(other, "digits", 32, path=path)
    # ...and when computing metrics from them directly.
    images, labels = load_arrays("digits", 32, "test", max_examples=20)
    with pytest.raises(ValueError, match="never compared"):
        metrics_from_outputs(other(images), labels, stats, other.name)
    # A fresh cache path per extractor, so both coexist.
    assert reference_stats_path(eval_cache_dir, "digits", 32, "train", other.name) != path
    # Plots refuse results of several extractors.
    from tfbiggan.evaluate.plots import plot_truncation_sweep
    rows = [{"extractor": mine.name, "truncation": 0.5, "fid": 1.0, "inception_score": 2.0},
            {"extractor": other.name, "truncation": 1.0, "fid": 2.0, "inception_score": 3.0}]
    with pytest.raises(ValueError, match="several feature extractors"):
        plot_truncation_sweep(rows, str(tmp_path / "mixed.png"))
    # A hand-written stats file under the wrong name is refused as well.
    forged = dict(stats, extractor_name=other.name)
    save_reference_stats(str(tmp_path / "forged.npz"), forged)
    with pytest.raises(ValueError, match="not comparable"):
        get_reference_stats(mine, "digits", 32, path=str(tmp_path / "forged.npz"))


def test_reference_images_from_the_input_pipeline(monkeypatch):
    """Datasets without an in-memory loader are read from the training input
    pipeline (here the tfds digits builder stands in for cifar10/imagenet)."""
    import tfbiggan.data

    def no_arrays(name, *args, **kwargs):
        raise ValueError(f"No in-memory loader for dataset {name!r}")

    monkeypatch.setattr(tfbiggan.data, "load_arrays", no_arrays)
    batches = list(real_image_batches("digits", 32, "train", max_examples=50,
                                        batch_size=20))
    assert [len(b[0]) for b in batches] == [20, 20, 10]
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    assert images.shape == (50, 32, 32, 3) and images.min() >= -1 and images.max() <= 1
    assert labels.dtype.kind == "i" and 0 <= labels.min() and labels.max() < 10
