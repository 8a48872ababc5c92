"""Datasets: BigGAN preprocessing, tfds builders and in-memory arrays.

tensorflow-datasets is imported lazily (it is slow to import); the training
pipelines live in ``tfbiggan.data.pipeline``.
"""
from tfbiggan.data.arrays import load_arrays
from tfbiggan.data.preprocess import digits_to_images

__all__ = ["digits_to_images", "load_arrays"]
