"""A tensorflow-datasets builder for scikit-learn's 8x8 digits (no download).

scikit-learn ships the 1797 digits inside its wheel, so this dataset prepares
offline. Examples: ``image`` uint8 [8, 8, 1] (the 0..16 intensities scaled to
0..255) and ``label`` in 0..9. Splits ``train`` / ``test`` are the same fixed
80/20 split as ``tfbiggan.data.load_arrays("digits", ...)``. The input pipeline
upscales the images to the model resolution.
"""
import numpy as np
import tensorflow_datasets as tfds

from tfbiggan.data.arrays import digits_split_indices
from tfbiggan.data.preprocess import DIGITS_MAX


class Digits(tfds.core.GeneratorBasedBuilder):
    """scikit-learn's handwritten digits as a tfds dataset."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "scikit-learn load_digits, fixed 80/20 split."}

    def _info(self):
        return self.dataset_info_from_configs(
            description="scikit-learn's 1797 handwritten 8x8 digits (UCI).",
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(8, 8, 1)),
                "label": tfds.features.ClassLabel(num_classes=10),
            }),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing to download
        return {"train": self._generate_examples("train"),
                "test": self._generate_examples("test")}

    def _generate_examples(self, split):
        from sklearn.datasets import load_digits
        bunch = load_digits()
        pixels = np.round(bunch.images * (255.0 / DIGITS_MAX)).astype(np.uint8)
        for index in digits_split_indices(len(bunch.target), split):
            yield int(index), {"image": pixels[index][..., None],
                               "label": int(bunch.target[index])}
