"""Reference statistics of real images, computed once and cached per extractor."""
import logging
import os
import re

import numpy as np

from tfbiggan.cache import cache_root
from tfbiggan.data import load_arrays
from tfbiggan.data.pipeline import DataSpec, make_train_dataset, open_source
from tfbiggan.metrics import inception_score_from_logits
from tfbiggan.metrics.reference_stats import (compute_reference_stats,
                                              load_reference_stats,
                                              save_reference_stats)

log = logging.getLogger(__name__)
PIPELINE_REFERENCE_EXAMPLES = 50_000  # the usual FID reference size


def _safe_name(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def reference_stats_path(cache_dir, dataset, resolution, split, extractor_name,
                         max_examples=None):
    """``<cache_dir>/reference_stats/<dataset>_<res>_<split>[_<n>]__<extractor>.npz``."""
    count = "" if max_examples is None else f"_{int(max_examples)}"
    name = (f"{_safe_name(dataset)}_{int(resolution)}_{split}{count}__"
            f"{_safe_name(extractor_name)}.npz")
    return os.path.join(cache_root(cache_dir), "reference_stats", name)


def real_image_batches(dataset, resolution, split="train", data_dir=None,
                       max_examples=None, seed=0, batch_size=500):
    """Real images of a dataset as (images, labels) batches.

    images: float32 [B, R, R, 3] in [-1, 1]; labels: int64 [B].
    Datasets `tfbiggan.data.load_arrays` holds in memory (digits) are read
    whole (or `max_examples` of them). Others (cifar10, imagenet2012, ...)
    come from the training input pipeline (centre crop + resize, shuffled
    with `seed`): the first `max_examples` (default 50,000) images.
    """
    try:
        images, labels = load_arrays(dataset, resolution, split,
                                     max_examples=max_examples, seed=seed)
    except ValueError as err:
        if "No in-memory loader" not in str(err):
            raise
    else:
        for start in range(0, len(images), batch_size):
            yield images[start:start + batch_size], labels[start:start + batch_size]
        return
    source = open_source(DataSpec(name=dataset, split=split, data_dir=data_dir))
    remaining = int(max_examples or PIPELINE_REFERENCE_EXAMPLES)
    batches = make_train_dataset(source, resolution, source.num_classes,
                                 min(batch_size, remaining), seed=seed)
    for images, y in batches:
        take = min(remaining, int(images.shape[0]))
        yield images[:take].numpy(), np.argmax(y[:take].numpy(), axis=1)
        remaining -= take
        if remaining <= 0:
            return


def get_reference_stats(extractor, dataset, resolution, cache_dir=None,
                        split="train", data_dir=None, max_examples=None,
                        path=None):
    """Reference statistics of real images for `extractor`, computed once.

    Loads `path` (default `reference_stats_path(...)`) when it exists; it must
    have been written for this extractor (ValueError otherwise). Else computes
    them from `real_image_batches(...)` and saves them there.

    Returns:
      (stats dict as from compute_reference_stats, path).
    """
    path = path or reference_stats_path(cache_dir, dataset, resolution, split,
                                        extractor.name, max_examples)
    if os.path.isfile(path):
        return load_reference_stats(path, extractor.name), path
    log.info("Computing reference statistics of %s/%s with %s -> %s",
             dataset, split, extractor.name, path)
    stats = compute_reference_stats(
        extractor, real_image_batches(dataset, resolution, split, data_dir,
                                      max_examples))
    stats["dataset"] = f"{dataset}/{split}@{int(resolution)}"
    save_reference_stats(path, stats)
    return stats, path


def reference_summary(reference, path=None, classifier=False):
    """What the JSON files say about the real data: path, count, the real
    images' IS (and classifier accuracy on them when labelled), i.e. the
    values a perfect generator would reach."""
    logits = reference["logits"]
    summary = {"path": path, "extractor": str(reference["extractor_name"]),
               "num_samples": int(len(reference["features"])),
               "inception_score": float(inception_score_from_logits(
                   logits, splits=max(1, min(10, len(logits))))[0])}
    if "dataset" in reference:
        summary["dataset"] = str(reference["dataset"])
    if classifier and "labels" in reference:
        summary["accuracy"] = float(np.mean(np.argmax(logits, 1) == reference["labels"]))
    return summary
