"""Whole datasets as numpy arrays, for evaluation and small demos.

``load_arrays(name, resolution, ...)`` returns (images float32 [N, R, R, 3] in
[-1, 1], labels int64 [N]).
"""
import numpy as np

from tfbiggan.data.preprocess import digits_to_images

SPLITS = ("train", "test", "all")


def digits_split_indices(num_examples, split):
    """Indices of ``split`` (train, test, all) in scikit-learn's digit order:
    a fixed 80/20 split, shared by these arrays and the digits tfds builder."""
    order = np.random.default_rng(0).permutation(num_examples)
    cut = int(0.8 * len(order))
    return {"train": order[:cut], "test": order[cut:], "all": order}[split]


def _digits(resolution, split, max_examples, seed):
    from sklearn.datasets import load_digits
    bunch = load_digits()
    index = digits_split_indices(len(bunch.target), split)
    if max_examples is not None:
        index = np.random.default_rng(seed).permutation(index)[:max_examples]
    return digits_to_images(bunch.images[index], resolution), bunch.target[index].astype(np.int64)


_LOADERS = {"digits": _digits}


def load_arrays(name, resolution, split="train", max_examples=None, seed=0):
    """Loads dataset ``name`` into memory. Splits: train, test, all."""
    if name not in _LOADERS:
        raise ValueError(f"No in-memory loader for dataset {name!r}; "
                         f"available: {sorted(_LOADERS)}.")
    if split not in SPLITS:
        raise ValueError(f"split must be train, test or all, got {split!r}.")
    return _LOADERS[name](resolution, split, max_examples, seed)
