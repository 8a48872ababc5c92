"""A second judge of digits samples, built unlike the project's classifier.

The project's digits classifier (``tfbiggan.evaluate.classifier``) is a Keras
CNN on the 32x32 training images; a generator trained against the same data
could learn what that one network ignores. This judge shares nothing with it
but the data: scikit-learn's multi-layer perceptron (one hidden layer of 64
ReLU units, Adam, ``random_state`` fixed) on the images shrunk back to the
8 x 8 grey pixels that scikit-learn's digits come in (area means of 4 x 4
blocks, on the data's 0-16 scale). Its hidden layer is the feature space of
its FID and its outputs are the class logits, so it is an extractor
(``tfbiggan.metrics.extractors``): every metric, reference statistic and
floor of ``tfbiggan.evaluate.scoring`` works with it unchanged.

It is trained on the train split in about a second, deterministically, and
named by a digest of its weights, so cached reference statistics are never
mixed with another judge's.
"""
import hashlib

import numpy as np

from tfbiggan.metrics.extractors.base import FeatureExtractor

SIDE = 8          # scikit-learn's digits are 8 x 8
SCALE = 16.0      # ... with grey levels 0-16
HIDDEN = 64


def shrink(images):
    """float [N, R, R, C] in [-1, 1] (R a multiple of 8) -> [N, 64] grey on 0-16."""
    images = np.asarray(images, np.float32)
    n, side = images.shape[0], images.shape[1]
    if side % SIDE:
        raise ValueError(f"the pixel judge needs a side divisible by {SIDE}, got {side}.")
    grey = images.mean(axis=-1)
    block = side // SIDE
    grey = grey.reshape(n, SIDE, block, SIDE, block).mean(axis=(2, 4))
    return ((grey + 1.0) / 2.0 * SCALE).reshape(n, SIDE * SIDE)


class PixelMLPExtractor(FeatureExtractor):
    """Features (the hidden layer, [N, 64]) and logits ([N, 10]) of a fitted
    ``sklearn.neural_network.MLPClassifier`` on ``shrink(images)``."""

    classifies_dataset = True  # its logits index the digits' classes

    def __init__(self, mlp, batch_size=500):
        self.weights = [np.asarray(w, np.float64) for w in mlp.coefs_]
        self.biases = [np.asarray(b, np.float64) for b in mlp.intercepts_]
        digest = hashlib.sha256()
        for array in self.weights + self.biases:
            digest.update(np.ascontiguousarray(array).tobytes())
        super().__init__(f"digits_pixel_mlp:{digest.hexdigest()[:12]}", batch_size)

    def _extract(self, images):
        hidden = np.maximum(shrink(images) @ self.weights[0] + self.biases[0], 0.0)
        logits = hidden @ self.weights[1] + self.biases[1]
        return hidden.astype(np.float32), logits.astype(np.float32)


def train_pixel_judge(resolution=32, seed=0):
    """(PixelMLPExtractor, its accuracy on the digits test split).

    Trained on the digits train split as the training pipeline serves it
    (``tfbiggan.data.load_arrays``), shrunk to 8 x 8.
    """
    from sklearn.neural_network import MLPClassifier

    from tfbiggan.data import load_arrays
    images, labels = load_arrays("digits", resolution, "train")
    mlp = MLPClassifier(hidden_layer_sizes=(HIDDEN,), max_iter=600, random_state=seed,
                        tol=1e-5, n_iter_no_change=20)
    mlp.fit(shrink(images), labels)
    test_images, test_labels = load_arrays("digits", resolution, "test")
    extractor = PixelMLPExtractor(mlp)
    logits = extractor(test_images)["logits"]
    return extractor, float(np.mean(np.argmax(logits, axis=1) == test_labels))
