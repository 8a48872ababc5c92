"""Evaluating generators: sampling, metrics, truncation sweeps, pictures, and
the hook the training loop calls.

Conventions (tfhub.dev, see shared/reference/biggan.md):

- ``truncation=t`` (a float in [0, 1]): z = t * truncnorm(-2, 2) and
  ``generator(z, y, truncation=t)``, which normalises with the standing
  statistics stored for t. A generator without standing statistics is never
  silently evaluated with something else: `ensure_standing_stats` fills them
  first and says so.
- ``truncation=None``: z ~ N(0, 1) (untruncated, as in training) and the batch
  norms' moving averages.
- Images are float32 [N, R, R, 3] in [-1, 1]; labels are int class ids [N].

Every metrics dict carries the name of the feature extractor that produced it
(``"extractor"``); results of different extractors are never combined, and
cached reference statistics are refused for any other extractor.
"""
import json
import logging
import os
import re
import time

import numpy as np
import tensorflow as tf

from tfbiggan import metrics as M
from tfbiggan.layers import truncation_grid, truncation_weights
from tfbiggan.progress import Progress
from tfbiggan.sampling import one_hot, truncated_normal
from tfbiggan.standing import accumulate_standing_stats, has_standing_stats

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "TFBIGGAN_CACHE_DIR"
DEFAULT_CACHE_DIR = os.path.join("~", ".cache", "tfbiggan")
# Datasets whose `auto` extractor is the project's own classifier.
CLASSIFIER_DATASETS = ("digits",)
DEFAULT_SWEEP_TRUNCATIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


# --------------------------------------------------------------------------
# Extractors


def resolve_cache_dir(cache_dir=None):
    """`cache_dir`, else $TFBIGGAN_CACHE_DIR, else ~/.cache/tfbiggan (absolute)."""
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR
    return os.path.abspath(os.path.expanduser(os.fspath(cache_dir)))


def classifier_path(dataset, resolution, cache_dir=None):
    """Where the project's classifier for `dataset` at `resolution` is cached:
    ``<cache_dir>/classifiers/<dataset>_<resolution>.keras``."""
    return os.path.join(resolve_cache_dir(cache_dir), "classifiers",
                        f"{dataset}_{int(resolution)}.keras")


def train_dataset_classifier(dataset, resolution, output=None, cache_dir=None,
                             epochs=15, batch_size=64, seed=0, data_dir=None,
                             verbose=0):
    """Trains the project's classifier on the dataset's train split, saves it.

    Args:
      dataset: a dataset `tfbiggan.data.load_arrays` knows (e.g. "digits").
      resolution: image side the classifier takes (the generator's).
      output: .keras path; default `classifier_path(dataset, resolution,
        cache_dir)`.

    Returns:
      (ClassifierExtractor, test accuracy in [0, 1], output path).
    """
    from tfbiggan.data import load_arrays
    from tfbiggan.metrics.extractors import (ClassifierExtractor,
                                             classifier_accuracy,
                                             train_classifier)
    train_x, train_y = load_arrays(dataset, resolution, "train", data_dir=data_dir)
    test_x, test_y = load_arrays(dataset, resolution, "test", data_dir=data_dir)
    model = train_classifier(train_x, train_y, epochs=epochs,
                             batch_size=batch_size, name=f"{dataset}_classifier",
                             seed=int(seed), verbose=verbose)
    extractor = ClassifierExtractor(model)
    accuracy = classifier_accuracy(extractor, test_x, test_y)
    output = output or classifier_path(dataset, resolution, cache_dir)
    extractor.save(output)
    return extractor, accuracy, output


def is_classifier_extractor(extractor):
    """True for the dataset classifiers, whose logits index the dataset's
    classes (so generated images can be scored for class agreement)."""
    from tfbiggan.metrics.extractors import ClassifierExtractor
    return isinstance(extractor, ClassifierExtractor)


def resolve_extractor(spec, dataset, resolution, cache_dir=None, data_dir=None,
                      train_if_missing=True):
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
    from tfbiggan.metrics.extractors import ClassifierExtractor, InceptionExtractor
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
                    dataset, resolution, output=path, data_dir=data_dir)
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


# --------------------------------------------------------------------------
# Reference statistics


def _safe_name(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def reference_stats_path(cache_dir, dataset, resolution, split, extractor_name,
                         max_examples=None):
    """``<cache_dir>/reference_stats/<dataset>_<res>_<split>[_<n>]__<extractor>.npz``."""
    count = "" if max_examples is None else f"_{int(max_examples)}"
    name = (f"{_safe_name(dataset)}_{int(resolution)}_{split}{count}__"
            f"{_safe_name(extractor_name)}.npz")
    return os.path.join(resolve_cache_dir(cache_dir), "reference_stats", name)


PIPELINE_REFERENCE_EXAMPLES = 50_000  # the usual FID reference size


def real_image_batches(dataset, resolution, split="train", data_dir=None,
                       max_examples=None, seed=0, batch_size=500):
    """Real images of a dataset as (images, labels) batches.

    images: float32 [B, R, R, 3] in [-1, 1]; labels: int64 [B].
    Datasets `tfbiggan.data.load_arrays` holds in memory (digits) are read
    whole (or `max_examples` of them). Others (cifar10, imagenet2012, ...)
    come from the training input pipeline (centre crop + resize, shuffled
    with `seed`): the first `max_examples` (default 50,000) images.
    """
    from tfbiggan.data import load_arrays
    try:
        images, labels = load_arrays(dataset, resolution, split,
                                     max_examples=max_examples, seed=seed,
                                     data_dir=data_dir)
    except ValueError as err:
        if "No in-memory loader" not in str(err):
            raise
    else:
        for start in range(0, len(images), batch_size):
            yield images[start:start + batch_size], labels[start:start + batch_size]
        return
    from tfbiggan.data.pipeline import DataSpec, make_train_dataset, open_source
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
    from tfbiggan.metrics.extractors import (compute_reference_stats,
                                             load_reference_stats,
                                             save_reference_stats)
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


# --------------------------------------------------------------------------
# Sampling


def ensure_standing_stats(generator, num_batches=16, batch_size=64, seed=0,
                          progress=True):
    """Fills the standing statistics if the generator has none.

    Returns:
      True if they had to be computed (they live only in this in-memory
      generator until a checkpoint is written; `python -m tfbiggan.evaluate
      standing` stores them), False if they were there.
    """
    if has_standing_stats(generator):
        return False
    log.warning(
        "The generator has no standing statistics; computing them now (%d x %d "
        "samples at each of the 51 truncations). They are not saved: run "
        "`python -m tfbiggan.evaluate standing --model_dir=...` to store them.",
        num_batches, batch_size)
    bar = Progress(len(truncation_grid()), "standing stats") if progress else None
    accumulate_standing_stats(generator, num_batches=num_batches,
                              batch_size=batch_size, seed=seed, progress=bar)
    return True


def check_truncation(truncation):
    """None, or a float in [0, 1]."""
    if truncation is None:
        return None
    t = float(truncation)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"truncation must be in [0, 1] or None, got {truncation}.")
    return t


def balanced_labels(num_samples, num_classes):
    """Class ids 0, 1, ..., C-1, 0, 1, ... : [num_samples] int64."""
    return np.arange(int(num_samples), dtype=np.int64) % int(num_classes)


def sample_latents(num_samples, z_dim, truncation, seed=0):
    """z [num_samples, z_dim] float32 for `truncation` (None: N(0, 1)).

    For a float t the draw is t * truncnorm(-2, 2) with the base draw fixed by
    `seed`, so the same seed gives the same base latents at every truncation.
    """
    truncation = check_truncation(truncation)
    rng = np.random.default_rng(seed)
    if truncation is None:
        return rng.standard_normal((num_samples, z_dim)).astype(np.float32)
    return (truncation * truncated_normal((num_samples, z_dim), 2.0, rng)
            ).astype(np.float32)


class Sampler:
    """Batched inference calls of one generator, traced once.

    ``sampler(z, y, truncation)`` -> images [N, R, R, 3] float32 numpy.
    """

    def __init__(self, generator):
        self.generator = generator

        @tf.function(reduce_retracing=True)
        def with_truncation(z, y, t):
            return generator(z, y, truncation=t, training=False)

        @tf.function(reduce_retracing=True)
        def with_moving_stats(z, y):
            return generator(z, y, training=False)

        self._with_truncation = with_truncation
        self._with_moving_stats = with_moving_stats

    def __call__(self, z, y, truncation=None, batch_size=100, progress=None):
        truncation = check_truncation(truncation)
        if truncation is not None and not has_standing_stats(self.generator):
            raise ValueError(
                "The generator has no standing statistics, so truncation="
                f"{truncation} would normalise with zeros/ones. Call "
                "tfbiggan.evaluation.ensure_standing_stats(generator) first, or "
                "use truncation=None (moving averages).")
        z = np.asarray(z, np.float32)
        y = np.asarray(y, np.float32)
        out = []
        for start in range(0, len(z), batch_size):
            zb = tf.constant(z[start:start + batch_size])
            yb = tf.constant(y[start:start + batch_size])
            if truncation is None:
                images = self._with_moving_stats(zb, yb)
            else:
                images = self._with_truncation(zb, yb, tf.constant(truncation, tf.float32))
            out.append(images.numpy())
            if progress is not None:
                progress.update(advance=len(out[-1]))
        return np.concatenate(out)


def generate_images(generator, num_samples, truncation=None, batch_size=100,
                    seed=0, labels=None, progress=None, sampler=None):
    """Samples the generator for balanced (or given) classes.

    Args:
      generator: a built Generator; with a float truncation it must have
        standing statistics (see `ensure_standing_stats`).
      num_samples: N.
      truncation: None or a float in [0, 1] (see the module docstring).
      labels: optional int class ids [N]; default `balanced_labels`.
      progress: optional `Progress`, advanced per image.
      sampler: a `Sampler` of this generator to reuse its traced functions.

    Returns:
      (images float32 [N, R, R, 3] in [-1, 1], labels int64 [N]).
    """
    cfg = generator.config
    labels = (balanced_labels(num_samples, cfg.num_classes) if labels is None
              else np.asarray(labels, np.int64))
    if len(labels) != num_samples:
        raise ValueError(f"{len(labels)} labels for {num_samples} samples.")
    z = sample_latents(num_samples, cfg.z_dim, truncation, seed)
    sampler = sampler or Sampler(generator)
    images = sampler(z, one_hot(labels, cfg.num_classes), truncation, batch_size,
                     progress)
    return images, labels


# --------------------------------------------------------------------------
# Metrics


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
                       truncation=None, batch_size=100, seed=0, progress=False,
                       sampler=None, **metric_options):
    """Generates `num_samples` images and computes their metrics.

    Returns `metrics_from_outputs`' dict plus "truncation" (float or None).
    `metric_options` go to `metrics_from_outputs` (precision_recall, intra_fid,
    splits).
    """
    truncation = check_truncation(truncation)
    bar = Progress(num_samples, f"samples t={truncation}") if progress else None
    images, labels = generate_images(generator, num_samples, truncation,
                                     batch_size, seed, progress=bar, sampler=sampler)
    if bar:
        bar.close()
    result = metrics_from_outputs(extractor(images), labels, reference,
                                  extractor.name,
                                  classifier=is_classifier_extractor(extractor),
                                  **metric_options)
    result["truncation"] = truncation
    return result


def reference_summary(reference, path=None, classifier=False):
    """What the JSON files say about the real data: path, count, the real
    images' IS (and classifier accuracy on them when labelled), i.e. the
    values a perfect generator would reach."""
    logits = reference["logits"]
    summary = {"path": path, "extractor": str(reference["extractor_name"]),
               "num_samples": int(len(reference["features"])),
               "inception_score": float(M.inception_score_from_logits(
                   logits, splits=max(1, min(10, len(logits))))[0])}
    if "dataset" in reference:
        summary["dataset"] = str(reference["dataset"])
    if classifier and "labels" in reference:
        summary["accuracy"] = float(np.mean(np.argmax(logits, 1) == reference["labels"]))
    return summary


def truncation_sweep(generator, extractor, reference, truncations=DEFAULT_SWEEP_TRUNCATIONS,
                     num_samples=1000, batch_size=100, seed=0, progress=True,
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
    sampler = Sampler(generator)
    bar = Progress(len(truncations) * num_samples, "sweep") if progress else None
    results = []
    for t in truncations:
        images, labels = generate_images(generator, num_samples, t, batch_size,
                                         seed, progress=bar, sampler=sampler)
        result = metrics_from_outputs(extractor(images), labels, reference,
                                      extractor.name,
                                      classifier=is_classifier_extractor(extractor),
                                      **metric_options)
        result["truncation"] = t
        results.append(result)
    if bar:
        bar.close()
    return results


def save_json(path, payload):
    """Writes `payload` as indented JSON atomically; returns the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True, default=_json_default)
        f.write("\n")
    os.replace(tmp, path)
    return path


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Not JSON serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------
# Pictures


def class_grid(generator, classes, samples_per_class, truncation, seed=0,
               sampler=None):
    """One row per class, the same latents in every row.

    Returns:
      images float32 [len(classes) * samples_per_class, R, R, 3], row-major
      (row i is class classes[i]).
    """
    cfg = generator.config
    classes = [int(c) for c in classes]
    z = sample_latents(samples_per_class, cfg.z_dim, truncation, seed)
    z = np.tile(z, (len(classes), 1))
    labels = np.repeat(np.asarray(classes, np.int64), samples_per_class)
    sampler = sampler or Sampler(generator)
    return sampler(z, one_hot(labels, cfg.num_classes), truncation)


def save_class_grids(generator, truncations, output_dir, classes=None,
                     samples_per_class=8, seed=0, scale=2, prefix="grid"):
    """Writes one PNG per truncation (rows = classes, columns = samples).

    Returns:
      list of paths ``<output_dir>/<prefix>_t<t>.png`` (t = "none" for None).
    """
    from tfbiggan.visualize import save_image_grid
    classes = list(range(generator.config.num_classes)) if classes is None else classes
    sampler = Sampler(generator)
    paths = []
    for t in truncations:
        t = check_truncation(t)
        images = class_grid(generator, classes, samples_per_class, t, seed, sampler)
        tag = "none" if t is None else f"{t:.2f}"
        paths.append(save_image_grid(
            images, os.path.join(output_dir, f"{prefix}_t{tag}.png"),
            rows=len(classes), scale=scale))
    return paths


def class_mixes(class_a, class_b, num_steps, num_classes):
    """Soft class vectors from one-hot(a) to one-hot(b): [num_steps, C] float32,
    row k = (1 - k/(S-1)) * onehot(a) + k/(S-1) * onehot(b)."""
    if num_steps < 2:
        raise ValueError(f"num_steps must be >= 2, got {num_steps}.")
    alpha = np.linspace(0.0, 1.0, num_steps, dtype=np.float32)[:, None]
    a = one_hot([class_a], num_classes)
    b = one_hot([class_b], num_classes)
    mix = (1.0 - alpha) * a + alpha * b
    mix[0], mix[-1] = a[0], b[0]  # exact endpoints despite rounding
    return mix


def class_interpolation(generator, class_a, class_b, num_steps=8, truncation=None,
                        z=None, seed=0, sampler=None):
    """Images for a fixed z while y moves from class_a to class_b.

    Args:
      z: [z_dim] or [1, z_dim] latent; default one drawn for `truncation`.

    Returns:
      images float32 [num_steps, R, R, 3]; the first is generator(z,
      onehot(a)), the last generator(z, onehot(b)).
    """
    cfg = generator.config
    if z is None:
        z = sample_latents(1, cfg.z_dim, truncation, seed)
    z = np.asarray(z, np.float32).reshape(1, cfg.z_dim)
    y = class_mixes(class_a, class_b, num_steps, cfg.num_classes)
    sampler = sampler or Sampler(generator)
    return sampler(np.repeat(z, num_steps, axis=0), y, truncation)


def save_interpolation_strips(generator, pairs, output_path, num_steps=8,
                              truncation=None, num_latents=2, seed=0, scale=2):
    """One strip (row) per (class pair, latent); columns go from a to b.

    Returns:
      the PNG path; rows = len(pairs) * num_latents.
    """
    from tfbiggan.visualize import save_image_grid
    cfg = generator.config
    sampler = Sampler(generator)
    latents = sample_latents(num_latents, cfg.z_dim, truncation, seed)
    rows = [class_interpolation(generator, a, b, num_steps, truncation, z=z,
                                sampler=sampler)
            for a, b in pairs for z in latents]
    return save_image_grid(np.concatenate(rows), output_path, rows=len(rows),
                           scale=scale)


# --------------------------------------------------------------------------
# Training hook


def grid_indices(truncation):
    """Indices of the standing-statistics grid points that `truncation`
    interpolates between (one on a grid point, else two)."""
    weights = truncation_weights(float(truncation)).numpy()
    return [int(i) for i in np.flatnonzero(weights > 1e-6)]


class TrainingEvaluator:
    """What `make_training_eval_hook` returns: ``evaluator(step, ema_generator)
    -> dict[str, float]``.

    Keys: "fid", "inception_score", "inception_score_std", "kid", "kid_std",
    "precision", "recall", and "accuracy" for classifier extractors. Only
    floats, so the loop can write each as a scalar summary. The extractor's
    identity is the attribute `extractor_name` (also in the reference-stats
    file and in each log line); `history` keeps (step, results) pairs.

    The generator passed in is never modified: with truncation=None it is run
    in inference mode with its moving averages; with a float truncation its
    weights are copied into a private generator, whose standing statistics are
    refreshed at the grid points that truncation needs before sampling.
    """

    def __init__(self, model_config, extractor, reference, reference_path,
                 num_samples, truncation, seed, batch_size=100,
                 standing_batches=8, standing_batch_size=64):
        self.model_config = model_config
        self.extractor = extractor
        self.extractor_name = extractor.name
        self.reference = reference
        self.reference_path = reference_path
        self.num_samples = int(num_samples)
        self.truncation = check_truncation(truncation)
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        self.standing_batches = int(standing_batches)
        self.standing_batch_size = int(standing_batch_size)
        self.classifier = is_classifier_extractor(extractor)
        self.history = []
        self._samplers = {}
        self._copy = None

    def _sampler(self, generator):
        key = id(generator)
        if key not in self._samplers:
            self._samplers = {key: Sampler(generator)}
        return self._samplers[key]

    def _standing_copy(self, generator):
        from tfbiggan.models import Generator
        if self._copy is None:
            self._copy = Generator(self.model_config)
            self._copy.build()
        if len(self._copy.weights) != len(generator.weights):
            raise ValueError("The generator does not match the hook's model_config.")
        for dst, src in zip(self._copy.weights, generator.weights):
            if tuple(dst.shape) != tuple(src.shape):
                raise ValueError(
                    f"Generator variable {src.path} has shape {src.shape}, the "
                    f"hook's model_config builds {dst.shape}.")
            dst.assign(tf.convert_to_tensor(src))
        accumulate_standing_stats(
            self._copy, num_batches=self.standing_batches,
            batch_size=self.standing_batch_size, seed=self.seed,
            truncations=grid_indices(self.truncation))
        # Only the grid points of this hook's truncation are filled, and the
        # private copy is never used at any other truncation.
        self._copy.standing_ready.assign(1.0)
        return self._copy

    def __call__(self, step, generator):
        start = time.time()
        model = generator if self.truncation is None else self._standing_copy(generator)
        images, labels = generate_images(model, self.num_samples, self.truncation,
                                         self.batch_size, self.seed,
                                         sampler=self._sampler(model))
        results = metrics_from_outputs(self.extractor(images), labels,
                                       self.reference, self.extractor_name,
                                       classifier=self.classifier)
        results.pop("extractor")
        results["num_samples"] = float(results["num_samples"])
        self.history.append((int(step), dict(results)))
        log.info("eval step %d [extractor=%s, truncation=%s, %d samples, %.1fs]: %s",
                 int(step), self.extractor_name, self.truncation, self.num_samples,
                 time.time() - start,
                 " ".join(f"{k}={v:.4g}" for k, v in sorted(results.items())))
        return results


def make_training_eval_hook(model_config, dataset, data_dir, extractor,
                            num_samples, truncation, cache_dir, seed):
    """The training loop's evaluation callback.

    Args:
      model_config: the run's BigGANConfig (resolution, classes).
      dataset: dataset name for the reference statistics (e.g. "digits").
      data_dir: passed to the dataset loader (may be None).
      extractor: an extractor spec ("auto", "classifier:PATH",
        "inception[:PATH]") or an extractor object; resolved now (the digits
        classifier is trained here if it is not cached).
      num_samples: generated images per evaluation (>= 10).
      truncation: None (z ~ N(0, 1), moving averages) or a float in [0, 1]
        (standing statistics refreshed for it on a private copy).
      cache_dir: where classifiers and reference statistics are cached
        (None: $TFBIGGAN_CACHE_DIR or ~/.cache/tfbiggan).
      seed: fixes classes and latents, so evaluations differ only by weights.

    Returns:
      a `TrainingEvaluator`: ``hook(step, ema_generator) -> dict[str, float]``
      with "fid", "inception_score", "kid" (and their "_std"), "precision",
      "recall", and "accuracy" for classifier extractors; `hook.extractor_name`
      names the extractor (it is logged with every evaluation).
    """
    if int(num_samples) < 10:
        raise ValueError(f"num_samples must be >= 10, got {num_samples}.")
    resolution = model_config.resolution
    extractor = resolve_extractor(extractor, dataset, resolution, cache_dir, data_dir)
    reference, path = get_reference_stats(extractor, dataset, resolution, cache_dir,
                                          data_dir=data_dir)
    return TrainingEvaluator(model_config, extractor, reference, path, num_samples,
                             truncation, seed)


# --------------------------------------------------------------------------
# Standing statistics written back into a run

STANDING_SUFFIX = "-standing"


def rewrite_checkpoint(source_prefix, objects, target_prefix):
    """Copies a checkpoint, replacing the variables of `objects`.

    Every tensor of `source_prefix` (optimizer slots and iterations, the data
    iterator, the step, save_counter, the object graph itself) is copied
    unchanged, except those that `tf.train.Checkpoint(**objects)` would save,
    which take the objects' current values. The result restores with the same
    `tfbiggan.checkpoint.make_checkpoint` layout as the source, so training
    can resume from it with its optimizers intact.

    Args:
      source_prefix: an existing checkpoint prefix (".../ckpt-N").
      objects: {checkpoint attribute name: trackable}, e.g.
        {"ema_generator": ema}; their variables must all exist in the source
        with the same shapes and dtypes.
      target_prefix: the prefix to write (".index" and ".data-*" files); may
        equal `source_prefix`.

    Returns:
      the number of tensors replaced.
    """
    import tempfile
    source = tf.train.load_checkpoint(source_prefix)
    dtypes = source.get_variable_to_dtype_map()
    shapes = source.get_variable_to_shape_map()
    with tempfile.TemporaryDirectory() as tmp:
        written = tf.train.Checkpoint(**objects).write(os.path.join(tmp, "objects"))
        update = tf.train.load_checkpoint(written)
        new_shapes = update.get_variable_to_shape_map()
        prefixes = tuple(f"{name}/" for name in objects)
        replaced = {}
        for key, dtype in update.get_variable_to_dtype_map().items():
            if not key.startswith(prefixes):
                continue
            if key not in dtypes:
                raise ValueError(
                    f"'{key}' is not in {source_prefix}: the objects do not "
                    "match the checkpoint's layout.")
            if dtypes[key] != dtype or list(shapes[key]) != list(new_shapes[key]):
                raise ValueError(
                    f"'{key}' differs in dtype or shape from {source_prefix}.")
            replaced[key] = update.get_tensor(key)
    if not replaced:
        raise ValueError(f"None of {sorted(objects)} is in {source_prefix}.")
    names = sorted(dtypes)
    # RestoreV2 reads every dtype, variant tensors (iterator state) included.
    values = tf.raw_ops.RestoreV2(prefix=source_prefix, tensor_names=names,
                                  shape_and_slices=[""] * len(names),
                                  dtypes=[dtypes[n] for n in names])
    tensors = [tf.constant(replaced[n], dtypes[n]) if n in replaced else v
               for n, v in zip(names, values)]
    folder = os.path.dirname(os.path.abspath(target_prefix))
    tf.io.gfile.makedirs(folder)
    # Written under a temporary prefix first, so the target (possibly the
    # source itself) is replaced only by a complete checkpoint.
    tmp_prefix = os.path.join(folder, f".tmp_{os.getpid()}_{os.path.basename(target_prefix)}")
    tf.raw_ops.SaveV2(prefix=tmp_prefix, tensor_names=names,
                      shape_and_slices=[""] * len(names), tensors=tensors)
    data_files = sorted(tf.io.gfile.glob(tmp_prefix + ".data-*"))
    for path in data_files + [tmp_prefix + ".index"]:
        tf.io.gfile.rename(path, target_prefix + path[len(tmp_prefix):], overwrite=True)
    return len(replaced)


def _register_checkpoint(folder, source_name, name):
    """Lists checkpoint `name` in `folder`'s state file right after its source.

    It becomes the latest only if the source was the latest, so a resumed
    training never goes back to an older step.
    """
    state = tf.train.get_checkpoint_state(folder)
    known = [os.path.basename(p) for p in state.all_model_checkpoint_paths] if state else []
    stamps = list(state.all_model_checkpoint_timestamps) if state else []
    latest = os.path.basename(state.model_checkpoint_path) if state else source_name
    if len(stamps) != len(known):
        stamps = [time.time()] * len(known)
    entries = list(zip(known, stamps))
    if name not in known:
        at = known.index(source_name) + 1 if source_name in known else len(known)
        entries.insert(at, (name, time.time()))
    if latest == source_name:
        latest = name
    tf.compat.v1.train.update_checkpoint_state(
        folder, latest, all_model_checkpoint_paths=[n for n, _ in entries],
        all_model_checkpoint_timestamps=[t for _, t in entries])


def store_standing_stats(model_dir, checkpoint_path=None, num_batches=16,
                         batch_size=64, seed=0, progress=True):
    """Fills the EMA generator's standing statistics and saves a new checkpoint.

    The new checkpoint is the source's name plus "-standing" (``ckpt-N`` ->
    ``ckpt-N-standing``, same step; the training loop numbers its checkpoints
    by step, so the next one, ``ckpt-M`` with M > N, never collides with it).
    It sits next to the source (the latest in `model_dir` by default, or
    `checkpoint_path`, e.g. one in ``model_dir/best``) and takes the source's
    place as that folder's latest if the source was the latest, so `load_run`
    and a resumed training pick it up. It holds
    everything the source held (generator, discriminator, optimizers, step,
    data iterator), with the EMA generator's variables replaced: standing
    statistics, ``standing_ready``, and the spectral-norm vectors refined by
    the extra forward passes.

    Returns:
      (new checkpoint prefix, LoadedRun whose ema_generator has the statistics).
    """
    from tfbiggan.checkpoint import load_run
    run = load_run(model_dir, checkpoint_path)
    bar = Progress(len(truncation_grid()), "standing stats") if progress else None
    accumulate_standing_stats(run.ema_generator, num_batches=num_batches,
                              batch_size=batch_size, seed=seed, progress=bar)
    folder = os.path.dirname(os.path.abspath(run.path))
    name = os.path.basename(run.path)
    if not name.endswith(STANDING_SUFFIX):
        name += STANDING_SUFFIX
    target = os.path.join(folder, name)
    rewrite_checkpoint(run.path, {"ema_generator": run.ema_generator}, target)
    _register_checkpoint(folder, os.path.basename(run.path), name)
    run.path = target
    return target, run
