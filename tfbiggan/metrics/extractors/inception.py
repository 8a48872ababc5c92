"""The standard Inception-v3 for FID/IS/KID/PR, from a local path.

Nothing can be downloaded on these machines: the network is read from TF-GAN's
`tfgan/eval/inception/1` SavedModel or a Keras InceptionV3 weights file, and a
missing file is an error that says what to put where.
"""
import os

import keras
import numpy as np
import tensorflow as tf

from tfbiggan.cache import cache_root
from tfbiggan.metrics.extractors.base import FeatureExtractor, sha256_files

INCEPTION_TFGAN_NAME = "inception_v3_tfgan_pool3"
INCEPTION_KERAS_NAME = "inception_v3_keras_pool3"
INCEPTION_IMAGE_SIZE = 299
INCEPTION_PATH_ENV = "TFBIGGAN_INCEPTION_PATH"
INCEPTION_FOLDER = "tfgan_eval_inception_1"   # under the cache root by default

# How outputs of an Inception SavedModel are recognised: by name first (the
# TF-GAN module returns a dict with "pool_3" and "logits"), then by width.
_FEATURE_NAMES = ("pool_3", "pool3", "features", "feature_vector")
_LOGIT_NAMES = ("logits",)
_FEATURE_WIDTH = 2048
_LOGIT_WIDTHS = (1008, 1001, 1000)   # TF-GAN graph: 1008; Keras/slim: 1000/1001
_KERAS_WEIGHT_SUFFIXES = (".weights.h5", ".h5", ".hdf5")


def _resize_bilinear_tfgan(images, size):
    """Bilinear resize as TF-GAN's `preprocess_image` does it (TF1 semantics:
    align_corners=False, half_pixel_centers=False). Bilinear weights sum to
    one, so resizing [-1, 1] images equals TF-GAN's resize-then-rescale of
    [0, 255] pixels (up to its 128 vs our 127.5 scale)."""
    return tf.raw_ops.ResizeBilinear(images=images, size=[size, size],
                                     align_corners=False,
                                     half_pixel_centers=False)


def resolve_inception_path(path=None):
    """`path`, else $TFBIGGAN_INCEPTION_PATH, else `<cache root>/tfgan_eval_inception_1`
    (the cache root: $TFBIGGAN_CACHE_DIR, else ~/.cache/tfbiggan)."""
    if path is None:
        path = os.environ.get(INCEPTION_PATH_ENV) or os.path.join(
            cache_root(), INCEPTION_FOLDER)
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


def missing_inception_message(path, detail=""):
    """The error text for an absent Inception model: what to put where."""
    path = resolve_inception_path(path)
    detail = f" {detail}" if detail else ""
    is_weights_file = path.endswith(_KERAS_WEIGHT_SUFFIXES)
    folder = os.path.join(os.path.dirname(path), INCEPTION_FOLDER) \
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
            None: `resolve_inception_path()`.
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
                    f"{sha256_files(_saved_model_files(path))}")
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

        name = f"{INCEPTION_KERAS_NAME}:{sha256_files([path])}"
        return cls(forward, name, image_size, batch_size)


def _keyword_caller(signature, input_name):
    return lambda x: signature(**{input_name: x})


def _saved_model_files(path):
    """saved_model.pb and the variable files, in a fixed order."""
    files = []
    for root, _, names in os.walk(os.path.join(path, "variables")):
        files.extend(os.path.join(root, n) for n in names)
    return [os.path.join(path, "saved_model.pb")] + sorted(files)
