"""The dataset classifier used as a feature extractor where Inception features
mean little (the 8x8 digits): building, training and scoring it."""
import math
import os

import keras
import numpy as np
import tensorflow as tf

from tfbiggan.cache import cache_root
from tfbiggan.data import load_arrays
from tfbiggan.metrics.extractors import ClassifierExtractor, FeatureExtractor
from tfbiggan.metrics.extractors.base import check_images


def build_small_classifier(resolution, channels, num_classes, width=32,
                           feature_dim=128, name="small_classifier", seed=0):
    """A small convnet: images [B, resolution, resolution, channels] in [-1, 1]
    -> logits [B, num_classes].

    Stride-2 3x3 convolutions halve the resolution until it is <= 4, then the
    map is flattened (keeping where strokes are, which matters for digits), a
    `feature_dim` ReLU layer named "features" (the extractor's features) and a
    linear layer named "logits".
    """
    if resolution < 1 or channels < 1 or num_classes < 2:
        raise ValueError(
            "need resolution >= 1, channels >= 1 and num_classes >= 2, got "
            f"{resolution}, {channels}, {num_classes}.")
    init = keras.initializers.GlorotUniform
    inputs = keras.Input((resolution, resolution, channels), name="images")
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu",
                            kernel_initializer=init(seed))(inputs)
    size, filters, stage = resolution, width, 1
    while size > 4:
        filters = min(filters * 2, 8 * width)
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same",
                                activation="relu",
                                kernel_initializer=init(seed + stage))(x)
        size, stage = math.ceil(size / 2), stage + 1
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(feature_dim, activation="relu", name="features",
                           kernel_initializer=init(seed + stage))(x)
    logits = keras.layers.Dense(num_classes, name="logits",
                                kernel_initializer=init(seed + stage + 1))(x)
    return keras.Model(inputs, logits, name=name)


def _check_labels(labels, num_images):
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != num_images:
        raise ValueError(
            f"`labels` must be 1-D integer class ids, one per image "
            f"({num_images}), got shape {labels.shape}.")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"`labels` must be integers, got dtype {labels.dtype}.")
    if labels.min() < 0:
        raise ValueError("`labels` must be >= 0.")
    return labels.astype(np.int32)


def train_classifier(images, labels, epochs=10, batch_size=64,
                     learning_rate=1e-3, model=None, num_classes=None,
                     name="small_classifier", seed=0, verbose=0):
    """Trains a classifier on in-memory images for use as a feature extractor.

    Args:
      images: float array [N, H, W, C] in [-1, 1] (H == W).
      labels: int array [N] of class ids.
      epochs, batch_size, learning_rate: Adam training settings.
      model: a Keras model to train; default `build_small_classifier(...)`.
      num_classes: default labels.max() + 1.
      name: model name used when `model` is None; it prefixes the extractor
        name (e.g. "digits_classifier").
      seed: seeds the initial weights and the shuffling order.
      verbose: passed to `model.fit`.

    Returns:
      The trained Keras model (outputs logits). Wrap it in
      `ClassifierExtractor`.
    """
    images = check_images(images)
    labels = _check_labels(labels, len(images))
    if model is None:
        if images.shape[1] != images.shape[2]:
            raise ValueError(
                f"The default classifier needs square images, got {images.shape[1:3]}.")
        num_classes = int(num_classes or labels.max() + 1)
        model = build_small_classifier(images.shape[1], images.shape[3],
                                       num_classes, name=name, seed=seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"])
    data = (tf.data.Dataset.from_tensor_slices((images, labels))
            .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size))
    model.fit(data, epochs=epochs, shuffle=False, verbose=verbose)  # data is shuffled
    return model


def classifier_accuracy(model_or_extractor, images, labels):
    """Top-1 accuracy of a classifier model or extractor on images [N, H, W, C]."""
    extractor = (model_or_extractor if isinstance(model_or_extractor, FeatureExtractor)
                 else ClassifierExtractor(model_or_extractor))
    labels = _check_labels(labels, len(images))
    logits = extractor(images)["logits"]
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def classifier_path(dataset, resolution, cache_dir=None):
    """Where the project's classifier for `dataset` at `resolution` is cached:
    ``<cache root>/classifiers/<dataset>_<resolution>.keras``."""
    return os.path.join(cache_root(cache_dir), "classifiers",
                        f"{dataset}_{int(resolution)}.keras")


def train_dataset_classifier(dataset, resolution, output=None, cache_dir=None,
                             epochs=15, batch_size=64, seed=0, verbose=0):
    """Trains the project's classifier on the dataset's train split, saves it.

    Args:
      dataset: a dataset `tfbiggan.data.load_arrays` knows (e.g. "digits").
      resolution: image side the classifier takes (the generator's).
      output: .keras path; default `classifier_path(dataset, resolution,
        cache_dir)`.

    Returns:
      (ClassifierExtractor, test accuracy in [0, 1], output path).
    """
    train_x, train_y = load_arrays(dataset, resolution, "train")
    test_x, test_y = load_arrays(dataset, resolution, "test")
    model = train_classifier(train_x, train_y, epochs=epochs,
                             batch_size=batch_size, name=f"{dataset}_classifier",
                             seed=int(seed), verbose=verbose)
    extractor = ClassifierExtractor(model)
    accuracy = classifier_accuracy(extractor, test_x, test_y)
    output = output or classifier_path(dataset, resolution, cache_dir)
    extractor.save(output)
    return extractor, accuracy, output
