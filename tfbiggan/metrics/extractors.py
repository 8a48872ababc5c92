"""Feature extractors for the metrics, and cached reference statistics.

An extractor is any object with

  name: str
      Identity of the network that produced the features, e.g.
      "inception_v3_tfgan_pool3:<sha12>" or "digits_classifier:<sha12>".
      Metrics computed with different names are never comparable, and the
      reference-statistics cache refuses to mix them.
  __call__(images) -> {"features": [N, D] float32, "logits": [N, C] float32}
      `images` is float NHWC in [-1, 1] (the generator's output range).

`FeatureExtractor` implements the batching and input checks; subclasses only
supply `_extract`. Two implementations:

* `InceptionExtractor`: the standard Inception-v3 for FID/IS/KID/PR, loaded
  from a local path (nothing can be downloaded on these machines).
* `ClassifierExtractor`: a small Keras classifier trained on the dataset
  itself, for data where Inception features mean little (e.g. 8x8 digits).
"""
import hashlib
import math
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras

from tfbiggan.metrics.fid import gaussian_stats

INCEPTION_TFGAN_NAME = "inception_v3_tfgan_pool3"
INCEPTION_KERAS_NAME = "inception_v3_keras_pool3"
INCEPTION_IMAGE_SIZE = 299
INCEPTION_PATH_ENV = "TFBIGGAN_INCEPTION_PATH"
DEFAULT_INCEPTION_PATH = os.path.join(
    "~", ".cache", "tfbiggan", "tfgan_eval_inception_1")

# How outputs of an Inception SavedModel are recognised: by name first (the
# TF-GAN module returns a dict with "pool_3" and "logits"), then by width.
_FEATURE_NAMES = ("pool_3", "pool3", "features", "feature_vector")
_LOGIT_NAMES = ("logits",)
_FEATURE_WIDTH = 2048
_LOGIT_WIDTHS = (1008, 1001, 1000)   # TF-GAN graph: 1008; Keras/slim: 1000/1001
_KERAS_WEIGHT_SUFFIXES = (".weights.h5", ".h5", ".hdf5")
STATS_FORMAT_VERSION = 1
_RANGE_TOLERANCE = 1e-3


def _check_images(images, name="images"):
    """Returns images as float32 [N, H, W, C] in [-1, 1], or raises."""
    arr = np.asarray(images)
    if arr.ndim != 4:
        hint = (" Add the batch axis with x[None]." if arr.ndim == 3 else "")
        raise ValueError(
            f"`{name}` must be a 4-D NHWC batch [N, H, W, C], got shape "
            f"{arr.shape}.{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"`{name}` is empty (shape {arr.shape}).")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(
            f"`{name}` has dtype {arr.dtype}; pass float images in [-1, 1] "
            "(for uint8 pixels use x.astype('float32') / 127.5 - 1).")
    arr = arr.astype(np.float32, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` contains NaN or inf values.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -1 - _RANGE_TOLERANCE or hi > 1 + _RANGE_TOLERANCE:
        raise ValueError(
            f"`{name}` must lie in [-1, 1] but spans [{lo:.4g}, {hi:.4g}]. "
            "Rescale: pixels in [0, 255] -> x / 127.5 - 1; in [0, 1] -> 2x - 1.")
    return arr


def _flatten_rows(x):
    x = np.asarray(x, dtype=np.float32)
    return x.reshape(x.shape[0], -1)


def _sha256_files(paths):
    """Short sha256 (12 hex chars) of the files' contents, in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def weights_digest(model):
    """Short sha256 (12 hex chars) of a Keras model's weight shapes and values."""
    digest = hashlib.sha256()
    for w in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(w),
                                     dtype=np.float32)
        digest.update(str(value.shape).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()[:12]


class FeatureExtractor:
    """Base extractor: checks images, runs `_extract` batch by batch.

    Subclasses set `self.name` and implement `_extract(images)` taking float32
    [B, H, W, C] in [-1, 1] and returning (features [B, ...], logits [B, C]).
    """

    def __init__(self, name, batch_size=64):
        if not name or not isinstance(name, str):
            raise ValueError(f"`name` must be a non-empty string, got {name!r}.")
        if int(batch_size) < 1:
            raise ValueError(f"`batch_size` must be >= 1, got {batch_size}.")
        self.name = name
        self.batch_size = int(batch_size)

    def _extract(self, images):
        raise NotImplementedError

    def __call__(self, images):
        """Features and logits of float NHWC images in [-1, 1].

        Returns:
          {"features": float32 [N, D], "logits": float32 [N, C]}.
        """
        images = _check_images(images)
        features, logits = [], []
        for start in range(0, len(images), self.batch_size):
            f, l = self._extract(images[start:start + self.batch_size])
            features.append(_flatten_rows(f))
            logits.append(_flatten_rows(l))
        return {"features": np.concatenate(features),
                "logits": np.concatenate(logits)}

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


# --------------------------------------------------------------------------
# Inception


def _resize_bilinear_tfgan(images, size):
    """Bilinear resize as TF-GAN's `preprocess_image` does it (TF1 semantics:
    align_corners=False, half_pixel_centers=False). Bilinear weights sum to
    one, so resizing [-1, 1] images equals TF-GAN's resize-then-rescale of
    [0, 255] pixels (up to its 128 vs our 127.5 scale)."""
    return tf.raw_ops.ResizeBilinear(images=images, size=[size, size],
                                     align_corners=False,
                                     half_pixel_centers=False)


def resolve_inception_path(path=None):
    """`path`, else $TFBIGGAN_INCEPTION_PATH, else DEFAULT_INCEPTION_PATH."""
    if path is None:
        path = os.environ.get(INCEPTION_PATH_ENV) or DEFAULT_INCEPTION_PATH
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


def missing_inception_message(path, detail=""):
    """The error text for an absent Inception model: what to put where."""
    path = resolve_inception_path(path)
    detail = f" {detail}" if detail else ""
    is_weights_file = path.endswith(_KERAS_WEIGHT_SUFFIXES)
    folder = os.path.join(os.path.dirname(path), "tfgan_eval_inception_1") \
        if is_weights_file else path
    saved_model = (
        "TF-GAN's Inception-v3 SavedModel (tfhub.dev/tensorflow/tfgan/eval/"
        "inception/1, the FID/IS standard): extract its archive so that "
        f"'{os.path.join(folder, 'saved_model.pb')}' and "
        f"'{os.path.join(folder, 'variables')}{os.sep}' exist")
    weights = (
        "Keras' ImageNet InceptionV3 weights with the classification top "
        "('inception_v3_weights_tf_dim_ordering_tf_kernels.h5', 1000 classes), "
        + (f"copied to '{path}'" if is_weights_file
           else "copied to a file whose name ends in .h5"))
    options = [weights, saved_model] if is_weights_file else [saved_model, weights]
    return (
        f"No Inception network found at '{path}'.{detail} Nothing can be "
        "downloaded on this machine; copy one in by hand, either:\n"
        f"  (a) {options[0]}; or\n"
        f"  (b) {options[1]}, and pass that path instead.\n"
        f"Pass the path explicitly or set ${INCEPTION_PATH_ENV}.")


def _build_keras_inception(image_size):
    """Keras InceptionV3 with the ImageNet top and no weights loaded."""
    return keras.applications.InceptionV3(
        weights=None, include_top=True,
        input_shape=(image_size, image_size, 3))


def _describe(outputs):
    return ", ".join(f"'{k}' {tuple(v.shape)}" for k, v in outputs.items())


def _select_outputs(outputs):
    """(features_key, logits_key) among a dict of probed [B, ...] outputs."""
    widths = {k: int(np.prod(v.shape[1:])) for k, v in outputs.items()}
    feat = next((k for k in _FEATURE_NAMES if k in widths), None)
    if feat is None:
        feat = next((k for k, w in widths.items() if w == _FEATURE_WIDTH), None)
    logit = next((k for k in _LOGIT_NAMES if k in widths), None)
    if logit is None:
        logit = next((k for k, w in widths.items()
                      if w in _LOGIT_WIDTHS and k != feat), None)
    return feat, logit


class InceptionExtractor(FeatureExtractor):
    """Inception-v3 pool3 features and logits.

    Images (float NHWC in [-1, 1], 1 or 3 channels; grey is repeated to RGB)
    are resized bilinearly to `image_size` (299) and fed in [-1, 1], the range
    both TF-GAN's graph and Keras' InceptionV3 expect.

    Build it with `InceptionExtractor.from_path(path)`; the constructor takes
    any `forward(x) -> (features, logits)` on float32 [B, S, S, 3] tensors.
    """

    def __init__(self, forward, name, image_size=INCEPTION_IMAGE_SIZE,
                 batch_size=64):
        super().__init__(name, batch_size)
        self._forward = forward
        self.image_size = int(image_size)

    def _extract(self, images):
        channels = images.shape[-1]
        if channels not in (1, 3):
            raise ValueError(
                f"Inception needs 1- or 3-channel images, got {channels} "
                "channels.")
        x = tf.convert_to_tensor(images)
        if channels == 1:
            x = tf.tile(x, [1, 1, 1, 3])
        if tuple(images.shape[1:3]) != (self.image_size, self.image_size):
            x = _resize_bilinear_tfgan(x, self.image_size)
        features, logits = self._forward(x)
        return np.asarray(features), np.asarray(logits)

    @classmethod
    def from_path(cls, path=None, batch_size=64,
                  image_size=INCEPTION_IMAGE_SIZE):
        """Loads Inception-v3 from a local SavedModel folder or weights file.

        Args:
          path: (a) a TF2 SavedModel folder laid out like TF-GAN's
            `tfgan/eval/inception/1` (saved_model.pb + variables/). Its
            callable, or one of its signatures, must take one float32
            [B, 299, 299, 3] input in [-1, 1] and return a dict holding pool3
            features (named "pool_3"/"pool3"/"features"/"feature_vector", or
            any output of width 2048; [B, 2048] or [B, 1, 1, 2048]) and logits
            (named "logits", or any output of width 1008/1001/1000).
            Or (b) a Keras InceptionV3 weights file with the ImageNet top
            (`.h5`/`.hdf5`/`.weights.h5`); features are its `avg_pool` layer,
            logits the pre-softmax `predictions` layer.
            None: $TFBIGGAN_INCEPTION_PATH, else DEFAULT_INCEPTION_PATH.
          batch_size: images per forward pass.
          image_size: input resolution (299 for the standard metrics; Keras
            weights also work at >= 75, for tests).

        Raises:
          FileNotFoundError: nothing at `path`; the message says what to put
            where.
          ValueError: the model is there but its outputs cannot be identified.
        """
        path = resolve_inception_path(path)
        if not os.path.exists(path):
            raise FileNotFoundError(missing_inception_message(path))
        if os.path.isdir(path):
            if not os.path.isfile(os.path.join(path, "saved_model.pb")):
                raise FileNotFoundError(missing_inception_message(
                    path, "The folder exists but holds no saved_model.pb."))
            return cls._from_saved_model(path, batch_size, image_size)
        if path.endswith(_KERAS_WEIGHT_SUFFIXES):
            return cls._from_keras_weights(path, batch_size, image_size)
        raise ValueError(
            f"Don't know how to load Inception from the file '{path}': expected "
            "a SavedModel folder or a Keras weights file ending in "
            f"{', '.join(_KERAS_WEIGHT_SUFFIXES)}.")

    @classmethod
    def _from_saved_model(cls, path, batch_size, image_size):
        loaded = tf.saved_model.load(path)
        candidates = []
        if callable(loaded):
            candidates.append(("the model's __call__", loaded))
        signatures = dict(getattr(loaded, "signatures", {}) or {})
        order = sorted(signatures, key=lambda k: (
            k not in ("default", "serving_default"), k != "default", k))
        for key in order:
            sig = signatures[key]
            inputs = list(sig.structured_input_signature[1])
            if len(inputs) == 1:
                candidates.append((f"signature '{key}'",
                                   _keyword_caller(sig, inputs[0])))

        probe = tf.zeros([2, image_size, image_size, 3], tf.float32)
        tried = []
        for label, fn in candidates:
            try:
                outputs = fn(probe)
            except (TypeError, ValueError, tf.errors.OpError) as err:
                tried.append(f"{label}: call failed ({type(err).__name__})")
                continue
            if not isinstance(outputs, dict):
                tried.append(f"{label}: returns {type(outputs).__name__}, "
                             "not a dict of named outputs")
                continue
            feat, logit = _select_outputs(outputs)
            if feat is None or logit is None:
                tried.append(f"{label}: outputs {_describe(outputs)}")
                continue

            def forward(x, fn=fn, feat=feat, logit=logit):
                out = fn(x)
                return out[feat], out[logit]

            name = (f"{INCEPTION_TFGAN_NAME}:"
                    f"{_sha256_files(_saved_model_files(path))}")
            return cls(forward, name, image_size, batch_size)
        raise ValueError(
            f"The SavedModel at '{path}' has no callable or signature giving "
            f"both pool3 features and logits for a float32 [B, {image_size}, "
            f"{image_size}, 3] input. Expected a dict output with "
            f"{'/'.join(_FEATURE_NAMES)} (or any width-{_FEATURE_WIDTH} "
            f"output) and 'logits' (or width {'/'.join(map(str, _LOGIT_WIDTHS))})."
            f" Found: {'; '.join(tried) or 'nothing callable'}.")

    @classmethod
    def _from_keras_weights(cls, path, batch_size, image_size):
        model = _build_keras_inception(image_size)
        try:
            model.load_weights(path)
        except Exception as err:  # Keras raises several types for a bad file
            raise ValueError(
                f"Could not load '{path}' into keras.applications.InceptionV3"
                "(include_top=True): expected the full ImageNet weights with the "
                "classification top (e.g. inception_v3_weights_tf_dim_ordering_"
                f"tf_kernels.h5, not the _notop file). Keras said: {err}") from err
        features_model = keras.Model(model.input,
                                     model.get_layer("avg_pool").output)
        kernel, bias = model.get_layer("predictions").get_weights()

        @tf.function(reduce_retracing=True)
        def pooled(x):
            return features_model(x, training=False)

        def forward(x):
            features = pooled(x).numpy()
            # The Keras top applies softmax; IS needs the logits before it.
            return features, features @ kernel + bias

        name = f"{INCEPTION_KERAS_NAME}:{_sha256_files([path])}"
        return cls(forward, name, image_size, batch_size)


def _keyword_caller(signature, input_name):
    return lambda x: signature(**{input_name: x})


def _saved_model_files(path):
    """saved_model.pb and the variable files, in a fixed order."""
    files = []
    for root, _, names in os.walk(os.path.join(path, "variables")):
        files.extend(os.path.join(root, n) for n in names)
    return [os.path.join(path, "saved_model.pb")] + sorted(files)


# --------------------------------------------------------------------------
# Small classifier


class ClassifierExtractor(FeatureExtractor):
    """Features and logits from a Keras classifier.

    `features` are the input of the model's last layer (the penultimate
    activations, flattened), `logits` its output, which must be pre-softmax.
    Images of another size than the model's input are resized bilinearly; the
    channel count must match. `name` is "<model.name>:<weights sha12>", so two
    differently trained classifiers never share a name.
    """

    def __init__(self, model, batch_size=256):
        if len(model.layers) < 2:
            raise ValueError("`model` needs at least two layers (features, logits).")
        last = model.layers[-1]
        activation = getattr(last, "activation", None)
        if activation not in (None, keras.activations.linear):
            raise ValueError(
                f"The last layer '{last.name}' applies "
                f"{getattr(activation, '__name__', activation)}; it must output "
                "logits (activation=None) so IS and the loss see raw scores.")
        super().__init__(f"{model.name}:{weights_digest(model)}", batch_size)
        self.model = model
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ValueError("`model` must have one image input and one logits output.")
        self._heads = keras.Model(model.inputs[0], [last.input, model.outputs[0]])
        self._input_hw = tuple(model.input_shape[1:3])
        self._channels = model.input_shape[-1]

    def _extract(self, images):
        if images.shape[-1] != self._channels:
            raise ValueError(
                f"The classifier takes {self._channels}-channel images, got "
                f"{images.shape[-1]} channels.")
        x = tf.convert_to_tensor(images)
        if None not in self._input_hw and tuple(images.shape[1:3]) != self._input_hw:
            x = tf.image.resize(x, self._input_hw, method="bilinear")
        features, logits = self._heads(x, training=False)
        return keras.ops.convert_to_numpy(features), keras.ops.convert_to_numpy(logits)

    def save(self, path):
        """Saves the wrapped model as a `.keras` file."""
        path = os.fspath(path)
        if not path.endswith(".keras"):
            raise ValueError(f"Classifier files must end in .keras, got '{path}'.")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.model.save(path)

    @classmethod
    def from_path(cls, path, batch_size=256):
        """Loads a classifier saved with `save` (or `model.save`)."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"No classifier at '{path}'. Train one with "
                "tfbiggan.metrics.extractors.train_classifier and save it with "
                "ClassifierExtractor(model).save(path) (a .keras file).")
        return cls(keras.saving.load_model(path, compile=False), batch_size)


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
    images = _check_images(images)
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


# --------------------------------------------------------------------------
# Reference statistics cache


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
