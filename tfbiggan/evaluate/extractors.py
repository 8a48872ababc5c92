"""Choosing the feature extractor of an evaluation, from a spec string."""
import logging
import os

from tfbiggan.evaluate.classifier import classifier_path, train_dataset_classifier
from tfbiggan.metrics.extractors import ClassifierExtractor, InceptionExtractor

log = logging.getLogger(__name__)

# Datasets whose `auto` extractor is the project's own classifier.
CLASSIFIER_DATASETS = ("digits",)


def is_classifier_extractor(extractor):
    """True for the dataset classifiers, whose logits index the dataset's
    classes (so generated images can be scored for class agreement)."""
    return bool(getattr(extractor, "classifies_dataset", False))


def resolve_extractor(spec, dataset, resolution, cache_dir=None, train_if_missing=True):
    """A feature extractor from a spec.

    Args:
      spec: "auto"; "classifier:PATH" (a .keras file); "inception" or
        "inception:PATH" (a SavedModel folder or Keras weights file; without a
        path $TFBIGGAN_INCEPTION_PATH or the default location); or an
        extractor object, returned as is.
        "auto" means: digits -> the project's classifier for `resolution`,
        cached under `cache_dir` and trained first if missing; any other
        dataset -> Inception from the default local path (FileNotFoundError
        with instructions when it is absent).
      dataset, resolution: what the extractor will see.
    """
    if not isinstance(spec, str):
        if not (hasattr(spec, "name") and callable(spec)):
            raise TypeError(f"An extractor needs `name` and `__call__`; got {spec!r}.")
        return spec
    kind, _, path = spec.partition(":")
    if kind == "auto":
        if dataset in CLASSIFIER_DATASETS:
            path = classifier_path(dataset, resolution, cache_dir)
            if not os.path.isfile(path):
                if not train_if_missing:
                    raise FileNotFoundError(
                        f"No {dataset} classifier at '{path}'; run `python -m "
                        f"tfbiggan.evaluate train-classifier --dataset={dataset} "
                        f"--resolution={resolution}`.")
                log.warning("No %s classifier cached at %s; training one now.",
                            dataset, path)
                extractor, accuracy, _ = train_dataset_classifier(
                    dataset, resolution, output=path)
                log.warning("Classifier trained: test accuracy %.4f.", accuracy)
                return extractor
            return ClassifierExtractor.from_path(path)
        return InceptionExtractor.from_path(None)
    if kind == "classifier":
        if not path:
            raise ValueError("Use --extractor=classifier:PATH (a .keras file).")
        return ClassifierExtractor.from_path(os.path.expanduser(path))
    if kind == "inception":
        return InceptionExtractor.from_path(path or None)
    raise ValueError(
        f"Unknown extractor spec {spec!r}; use auto, classifier:PATH or "
        "inception[:PATH].")
