"""Reference statistics of real images: features, logits and Gaussian stats,
cached as .npz files that name the extractor that made them."""
import os
import tempfile

import numpy as np

from tfbiggan.metrics.fid import gaussian_stats

STATS_FORMAT_VERSION = 1


def _split_batch(batch):
    if isinstance(batch, dict):
        images = batch.get("image", batch.get("images"))
        if images is None:
            raise ValueError(
                f"Batch dicts need an 'image' or 'images' entry, got keys "
                f"{sorted(batch)}.")
        return images, batch.get("label", batch.get("labels"))
    if isinstance(batch, (tuple, list)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


def compute_reference_stats(extractor, image_batches):
    """Features, logits and Gaussian statistics of real images.

    Args:
      extractor: a feature extractor (has `name`, called on image batches).
      image_batches: one float array [N, H, W, C] in [-1, 1], or an iterable
        of batches, each an array, an (images, labels) tuple or a dict with
        "image"/"images" and optionally "label"/"labels" (e.g. a tf.data
        dataset). Labels, if given for every batch, are kept for intra-FID.

    Returns:
      {"extractor_name": str, "num_samples": int, "mu": [D] float64,
       "sigma": [D, D] float64, "features": [N, D], "logits": [N, C],
       and "labels": [N] int64 when labels were given}.
    """
    if isinstance(image_batches, np.ndarray) and image_batches.ndim == 4:
        image_batches = [image_batches]
    features, logits, labels = [], [], []
    for batch in image_batches:
        images, batch_labels = _split_batch(batch)
        out = extractor(np.asarray(images))
        features.append(out["features"])
        logits.append(out["logits"])
        if batch_labels is not None:
            batch_labels = np.asarray(batch_labels)
            if batch_labels.shape != (len(out["features"]),):
                raise ValueError(
                    f"Batch labels must be 1-D class ids, one per image "
                    f"({len(out['features'])}), got shape {batch_labels.shape}. "
                    "For one-hot labels pass labels.argmax(-1).")
        labels.append(batch_labels)
    if not features:
        raise ValueError("`image_batches` yielded no batches.")
    features = np.concatenate(features)
    mu, sigma = gaussian_stats(features)
    stats = {"extractor_name": extractor.name, "num_samples": len(features),
             "mu": mu, "sigma": sigma, "features": features,
             "logits": np.concatenate(logits)}
    if all(lab is not None for lab in labels):
        stats["labels"] = np.concatenate(labels).astype(np.int64)
    elif any(lab is not None for lab in labels):
        raise ValueError("Some batches carried labels and some did not.")
    return stats


_REQUIRED_KEYS = ("extractor_name", "mu", "sigma", "features")


def save_reference_stats(path, stats):
    """Writes `stats` (from compute_reference_stats) to an .npz file.

    The write goes to a temporary file that is then renamed, so an
    interrupted run never leaves a truncated cache behind.
    """
    path = os.fspath(path)
    if not path.endswith(".npz"):
        raise ValueError(f"Reference-stats files must end in .npz, got '{path}'.")
    missing = [k for k in _REQUIRED_KEYS if k not in stats]
    if missing:
        raise ValueError(
            f"`stats` lacks {missing}; build it with compute_reference_stats.")
    arrays = {k: np.asarray(v) for k, v in stats.items() if v is not None}
    arrays["extractor_name"] = np.asarray(str(stats["extractor_name"]))
    arrays["format_version"] = np.asarray(STATS_FORMAT_VERSION)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_reference_stats(path, expected_extractor_name):
    """Reads stats written by `save_reference_stats`.

    Args:
      path: the .npz file.
      expected_extractor_name: the `name` of the extractor the caller will use
        for generated images (or the extractor itself). Stats from any other
        extractor are refused, so metrics never compare features of two
        different networks.

    Raises:
      FileNotFoundError: no file at `path`.
      ValueError: the file was written for another extractor or format.
    """
    expected = getattr(expected_extractor_name, "name", expected_extractor_name)
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No reference statistics at '{path}'. Compute them with "
            "compute_reference_stats and save_reference_stats.")
    with np.load(path, allow_pickle=False) as data:
        stats = {k: data[k] for k in data.files}
    version = int(stats.pop("format_version", -1))
    if version != STATS_FORMAT_VERSION:
        raise ValueError(
            f"'{path}' has reference-stats format {version}, expected "
            f"{STATS_FORMAT_VERSION}; recompute it.")
    found = str(stats["extractor_name"])
    if found != expected:
        raise ValueError(
            f"'{path}' was computed with feature extractor '{found}', but "
            f"'{expected}' is in use; metrics from different extractors are not "
            "comparable. Recompute the reference statistics with the current "
            "extractor (or delete the file so it is rebuilt).")
    stats["extractor_name"] = found
    if "num_samples" in stats:
        stats["num_samples"] = int(stats["num_samples"])
    return stats
