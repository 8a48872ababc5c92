"""Fixtures for the evaluation tests: a tiny run on disk and a digits classifier."""

import pytest

from run_helpers import make_tiny_run


@pytest.fixture(scope="session")
def digits_classifier_path(tmp_path_factory):
    """A small digits classifier (32x32, 10 classes) trained briefly, saved."""
    from tfbiggan.data import load_arrays
    from tfbiggan.evaluate.classifier import train_classifier
    from tfbiggan.metrics.extractors import ClassifierExtractor
    images, labels = load_arrays("digits", 32, "train")
    model = train_classifier(images, labels, epochs=2, name="digits_classifier")
    path = str(tmp_path_factory.mktemp("classifier") / "digits_32.keras")
    ClassifierExtractor(model).save(path)
    return path


@pytest.fixture(scope="session")
def eval_cache_dir(tmp_path_factory):
    """A cache dir shared by the tests (reference stats are computed once)."""
    return str(tmp_path_factory.mktemp("eval_cache"))


@pytest.fixture(scope="module")
def tiny_run_with_standing(tmp_path_factory):
    """A tiny run whose latest checkpoint carries standing statistics."""
    from tfbiggan.run import store_standing_stats
    model_dir = str(tmp_path_factory.mktemp("tiny_run"))
    make_tiny_run(model_dir)
    store_standing_stats(model_dir, num_batches=1, batch_size=8)
    return model_dir
