"""Scoring a generator: its samples' metrics against a reference, and the
truncation sweep (the paper's quality/diversity curve).

Every metrics dict carries the name of the feature extractor that produced it
(``"extractor"``); results of different extractors are never combined, and
cached reference statistics are refused for any other extractor.
"""
import numpy as np

from tfbiggan import metrics as M
from tfbiggan.evaluate.extractors import is_classifier_extractor
from tfbiggan.evaluate.generate import EVAL_BATCH_SIZE, GeneratorRunner, generate_images
from tfbiggan.evaluate.references import real_image_batches
from tfbiggan.models import has_standing_stats
from tfbiggan.progress import Progress
from tfbiggan.truncation import check_truncation

DEFAULT_SWEEP_TRUNCATIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
# The fewest samples an evaluation scores: the Inception Score's 10 splits
# (Salimans et al. 2016) need one sample each.
MIN_EVAL_SAMPLES = 10


def metrics_from_outputs(outputs, labels, reference, extractor_name,
                         classifier=False, splits=10, precision_recall=True,
                         intra_fid=False):
    """Metrics of generated images from their extractor outputs.

    Args:
      outputs: {"features": [N, D], "logits": [N, C]} of generated images.
      labels: int [N], the classes the images were generated for.
      reference: reference stats of real images (compute_reference_stats);
        its "extractor_name" must equal `extractor_name`.
      classifier: the logits index the dataset's classes; adds "accuracy"
        (agreement of the classifier with the requested class).
      precision_recall: add improved precision/recall (k = 3).
      intra_fid: add the mean per-class FID (needs labelled reference stats).

    Returns:
      dict: "extractor" (str), "num_samples", "fid", "inception_score",
      "inception_score_std", "kid", "kid_std", and optionally "accuracy",
      "precision", "recall", "intra_fid".
    """
    found = str(reference["extractor_name"])
    if found != extractor_name:
        raise ValueError(
            f"Reference statistics come from extractor '{found}' but the "
            f"generated images went through '{extractor_name}'; features of "
            "different networks are never compared.")
    features, logits = outputs["features"], outputs["logits"]
    labels = np.asarray(labels, np.int64)
    splits = max(1, min(int(splits), len(logits)))
    is_mean, is_std = M.inception_score_from_logits(logits, splits=splits)
    kid_mean, kid_std = M.kid_from_activations(reference["features"], features)
    result = {
        "extractor": extractor_name,
        "num_samples": int(len(features)),
        "fid": M.fid_from_stats(reference["mu"], reference["sigma"],
                                *M.gaussian_stats(features)),
        "inception_score": float(is_mean),
        "inception_score_std": float(is_std),
        "kid": float(kid_mean),
        "kid_std": float(kid_std),
    }
    if classifier:
        if logits.shape[1] <= int(labels.max()):
            raise ValueError(
                f"The classifier has {logits.shape[1]} classes but samples were "
                f"generated for class {int(labels.max())}.")
        result["accuracy"] = float(np.mean(np.argmax(logits, axis=1) == labels))
    if precision_recall:
        precision, recall = M.precision_recall_from_activations(
            reference["features"], features)
        result["precision"], result["recall"] = float(precision), float(recall)
    if intra_fid:
        if "labels" not in reference:
            raise ValueError("intra-FID needs reference statistics with labels.")
        classes = np.intersect1d(np.unique(labels), np.unique(reference["labels"]))
        result["intra_fid"] = M.intra_class_fid(
            reference["features"], reference["labels"], features, labels,
            classes=classes)["mean"]
    return result


def evaluate_generator(generator, extractor, reference, num_samples=1000,
                       truncation=None, batch_size=EVAL_BATCH_SIZE, seed=0,
                       progress=False, runner=None, **metric_options):
    """Generates `num_samples` images and computes their metrics.

    Returns `metrics_from_outputs`' dict plus "truncation" (float or None).
    `metric_options` go to `metrics_from_outputs` (precision_recall, intra_fid,
    splits).
    """
    truncation = check_truncation(truncation)
    bar = Progress(num_samples, f"samples t={truncation}") if progress else None
    images, labels = generate_images(generator, num_samples, truncation,
                                     batch_size, seed, progress=bar, runner=runner)
    if bar:
        bar.close()
    result = metrics_from_outputs(extractor(images), labels, reference,
                                  extractor.name,
                                  classifier=is_classifier_extractor(extractor),
                                  **metric_options)
    result["truncation"] = truncation
    return result


def real_split_metrics(extractor, reference, dataset, resolution, split="test",
                       max_examples=None, data_dir=None, **metric_options):
    """The metrics of real images of another split against `reference`, the
    scores a perfect generator would get with as many samples: FID between two
    real splits is the floor that generated FIDs are compared with.

    Returns `metrics_from_outputs`' dict plus "split".
    """
    images, labels = [], []
    for batch, batch_labels in real_image_batches(dataset, resolution, split, data_dir,
                                                  max_examples):
        images.append(batch)
        labels.append(batch_labels)
    images, labels = np.concatenate(images), np.concatenate(labels)
    result = metrics_from_outputs(extractor(images), labels, reference, extractor.name,
                                  classifier=is_classifier_extractor(extractor),
                                  **metric_options)
    result["split"] = split
    return result


def against_floor(generator, extractor, reference, dataset, resolution, truncation=None,
                  num_samples=None, data_dir=None, seed=0):
    """(the generator's metrics, the floor's): the floor is the real test split
    scored against ``reference`` like the samples, and both use the same
    number of images (``num_samples``, default all of the test split), since
    an FID depends on the sample count. ``result["fid"] / floor["fid"]`` is the
    "x real-vs-real" figure."""
    floor = real_split_metrics(extractor, reference, dataset, resolution, split="test",
                               max_examples=num_samples, data_dir=data_dir)
    result = evaluate_generator(generator, extractor, reference, floor["num_samples"],
                                truncation, seed=seed)
    return result, floor


def truncation_sweep(generator, extractor, reference, truncations=DEFAULT_SWEEP_TRUNCATIONS,
                     num_samples=1000, batch_size=EVAL_BATCH_SIZE, seed=0, progress=True,
                     **metric_options):
    """Metrics at each truncation (the paper's quality/diversity curve).

    The generator must have standing statistics. The same seed (hence the same
    classes and base latents) is used at every truncation.

    Returns:
      list of metrics dicts, one per truncation, in the given order.
    """
    truncations = [check_truncation(t) for t in truncations]
    if not has_standing_stats(generator) and any(t is not None for t in truncations):
        raise ValueError("The generator has no standing statistics; call "
                         "ensure_standing_stats first.")
    runner = GeneratorRunner(generator)
    bar = Progress(len(truncations) * num_samples, "sweep") if progress else None
    results = []
    for t in truncations:
        images, labels = generate_images(generator, num_samples, t, batch_size,
                                         seed, progress=bar, runner=runner)
        result = metrics_from_outputs(extractor(images), labels, reference,
                                      extractor.name,
                                      classifier=is_classifier_extractor(extractor),
                                      **metric_options)
        result["truncation"] = t
        results.append(result)
    if bar:
        bar.close()
    return results
