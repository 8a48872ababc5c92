"""Argument checks shared by the metric modules.

Every check raises ValueError naming the argument and saying how to fix it, so
that a bad call fails at the boundary instead of deep inside linear algebra.
"""
import numpy as np


def as_matrix(x, name, min_rows=1, why=""):
    """Returns `x` as a finite float64 array of shape [N, D] with N >= min_rows.

    Args:
      x: array-like of shape [N, D] (NumPy array, list, or eager tensor).
      name: the caller's argument name, used in error messages.
      min_rows: the fewest samples the caller can work with.
      why: short reason appended to the too-few-samples message.
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"`{name}` must be a numeric array of shape [num_samples, num_features]; "
            f"could not convert it to float64 ({err}).") from err
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = (" It is 1-D: for a single feature use x[:, None]; for a single "
                    "sample use x[None, :] (but one sample is rarely enough).")
        elif arr.ndim > 2:
            hint = (" Flatten the trailing axes first, e.g. "
                    "x.reshape(len(x), -1) for pooled [N, 1, 1, D] activations.")
        raise ValueError(
            f"`{name}` must be 2-D [num_samples, num_features], got shape "
            f"{arr.shape}.{hint}")
    if arr.shape[1] == 0:
        raise ValueError(f"`{name}` has zero features (shape {arr.shape}).")
    if arr.shape[0] < min_rows:
        reason = f" {why}" if why else ""
        raise ValueError(
            f"`{name}` has {arr.shape[0]} samples but at least {min_rows} are "
            f"needed.{reason} Pass more samples.")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"`{name}` contains {bad} NaN/inf values; the model or feature "
            "extractor that produced it has diverged or overflowed.")
    return arr


def check_same_width(a, b, name_a, name_b):
    """Raises unless the [N, D] arrays `a` and `b` have the same D."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"`{name_a}` has {a.shape[1]} features per sample but `{name_b}` has "
            f"{b.shape[1]}. Both must come from the same feature extractor and "
            "layer.")


def check_positive_int(value, name, minimum=1):
    """Returns `value` as int, raising unless it is an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"`{name}` must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}.")
    return int(value)
