"""Intra-class FID: FID computed separately for each class, then averaged.

Used for class-conditional models (Miyato & Koyama 2018): it penalises a model
that produces good images of the wrong class, which plain FID does not.
"""
import numpy as np

from tfbiggan.metrics._validation import as_matrix, check_same_width
from tfbiggan.metrics.fid import fid_from_activations


def _as_labels(labels, name, num_rows, acts_name):
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(
            f"`{name}` must be a 1-D array of integer class ids, got shape "
            f"{labels.shape}. For one-hot labels pass labels.argmax(-1).")
    if not np.issubdtype(labels.dtype, np.integer):
        integral_floats = (np.issubdtype(labels.dtype, np.floating)
                           and np.all(np.isfinite(labels))
                           and np.all(labels == np.round(labels)))
        if not integral_floats:
            raise ValueError(
                f"`{name}` must hold integer class ids, got dtype {labels.dtype}.")
        labels = labels.astype(np.int64)
    if len(labels) != num_rows:
        raise ValueError(
            f"`{name}` has {len(labels)} entries but `{acts_name}` has "
            f"{num_rows} rows; there must be one label per activation row.")
    return labels


def intra_class_fid(real_acts, real_labels, fake_acts, fake_labels,
                    classes=None):
    """Per-class FID and its mean over classes.

    Args:
      real_acts: array [N_r, D] of real-image activations.
      real_labels: int array [N_r] of class ids for `real_acts`.
      fake_acts: array [N_f, D] of generated-image activations.
      fake_labels: int array [N_f], the classes the images were generated for.
      classes: iterable of class ids to evaluate; default: every class present
        in either label array. Each needs >= 2 real and >= 2 fake samples.

    Returns:
      {"per_class": {class_id: fid}, "mean": mean over classes,
       "num_classes": number of classes evaluated}.
    """
    real_acts = as_matrix(real_acts, "real_acts")
    fake_acts = as_matrix(fake_acts, "fake_acts")
    check_same_width(real_acts, fake_acts, "real_acts", "fake_acts")
    real_labels = _as_labels(real_labels, "real_labels", len(real_acts),
                             "real_acts")
    fake_labels = _as_labels(fake_labels, "fake_labels", len(fake_acts),
                             "fake_acts")
    if classes is None:
        classes = np.union1d(real_labels, fake_labels)
    classes = [int(c) for c in classes]
    if not classes:
        raise ValueError("`classes` is empty; there is nothing to evaluate.")

    per_class = {}
    for c in classes:
        real_c = real_acts[real_labels == c]
        fake_c = fake_acts[fake_labels == c]
        if len(real_c) < 2 or len(fake_c) < 2:
            raise ValueError(
                f"Class {c} has {len(real_c)} real and {len(fake_c)} fake "
                "samples; per-class FID needs at least 2 of each (the unbiased "
                "covariance divides by N - 1). Generate/collect more samples "
                "for this class or leave it out of `classes`.")
        per_class[c] = fid_from_activations(real_c, fake_c)
    return {"per_class": per_class,
            "mean": float(np.mean(list(per_class.values()))),
            "num_classes": len(per_class)}
