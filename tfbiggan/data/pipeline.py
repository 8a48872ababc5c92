"""Training input pipelines: tfds datasets and image folders -> (images, y).

Every pipeline yields batches of
  images float32 [batch, R, R, 3] in [-1, 1] (BigGAN preprocessing: centre crop
         on the short side, resize to R, scale to [-1, 1]; grey -> 3 channels),
  y      float32 [batch, num_classes] one-hot.

Sources (``DataSpec.name``):
  ``digits``        the tfds builder in ``digits_tfds`` (scikit-learn, offline).
  ``cifar10``       tfds ``cifar10`` (prepared in ``data_dir``, or downloadable).
  ``imagenet2012``  tfds ``imagenet2012``; the two ILSVRC2012 tars must be in
                    ``manual_dir`` (default ``<data_dir>/downloads/manual``).
  ``folder``        ``folder`` = a directory with one sub-folder of images per
                    class (labels = sorted folder names). If it holds a ``train``
                    sub-folder of class folders, tfds.ImageFolder reads that.
"""
import dataclasses
import os
from typing import Optional

import tensorflow as tf

DATASETS = ("digits", "cifar10", "imagenet2012", "folder")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


class DataError(ValueError):
    """The requested data cannot be found or does not fit the model."""


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """Where the training images come from."""
    name: str = "digits"
    split: str = "train"
    data_dir: Optional[str] = None
    manual_dir: Optional[str] = None
    folder: Optional[str] = None
    shuffle_buffer: int = 10_000


def center_crop_resize(image, resolution):
    """BigGAN preprocessing of one image.

    Args:
      image: uint8 [H, W, C] (C = 1 or 3).
      resolution: output side R.
    Returns: float32 [R, R, 3] in [-1, 1].
    """
    shape = tf.shape(image)
    h, w = shape[0], shape[1]
    side = tf.minimum(h, w)
    image = tf.image.crop_to_bounding_box(image, (h - side) // 2, (w - side) // 2,
                                          side, side)
    image = tf.cast(image, tf.float32) / 255.0
    image = tf.image.resize(image, [resolution, resolution], method="bilinear",
                            antialias=True)
    image = tf.clip_by_value(image, 0.0, 1.0) * 2.0 - 1.0
    if image.shape[-1] == 1:
        image = tf.repeat(image, 3, axis=-1)
    image.set_shape([resolution, resolution, 3])
    return image


def _tfds_builder(spec):
    import tensorflow_datasets as tfds
    if spec.name == "digits":
        from tfbiggan.data.digits_tfds import Digits
        return Digits(data_dir=spec.data_dir)
    return tfds.builder(spec.name, data_dir=spec.data_dir)


def _prepare(spec):
    """Prepares a tfds dataset; DataError with a clear reason if impossible."""
    import tensorflow_datasets as tfds
    builder = _tfds_builder(spec)
    if builder.is_prepared() if hasattr(builder, "is_prepared") else False:
        return builder
    config = None
    if spec.name == "imagenet2012":
        manual = spec.manual_dir or os.path.join(
            builder.data_dir_root if hasattr(builder, "data_dir_root")
            else (spec.data_dir or os.path.expanduser("~/tensorflow_datasets")),
            "downloads", "manual")
        missing = [t for t in ("ILSVRC2012_img_train.tar", "ILSVRC2012_img_val.tar")
                   if not tf.io.gfile.exists(os.path.join(manual, t))]
        if missing:
            raise DataError(
                f"imagenet2012 is not prepared in data_dir={spec.data_dir!r} and "
                f"{', '.join(missing)} missing from manual_dir={manual!r}. Download "
                "them from image-net.org and pass --manual_dir.")
        config = tfds.download.DownloadConfig(manual_dir=manual)
    try:
        builder.download_and_prepare(download_config=config)
    except Exception as error:  # network failures, bad manual files, ...
        raise DataError(f"Could not prepare dataset {spec.name!r} in "
                        f"data_dir={spec.data_dir!r}: {error}") from error
    return builder


def dataset_num_classes(spec):
    """Number of classes of the source (prepares tfds datasets if needed)."""
    if spec.name == "folder":
        return len(_folder_classes(spec.folder)[1])
    builder = _prepare(spec)
    return builder.info.features["label"].num_classes


def _folder_classes(folder):
    if not folder or not tf.io.gfile.isdir(folder):
        raise DataError(f"--folder={folder!r} is not a directory of class folders.")
    root = folder
    if tf.io.gfile.isdir(os.path.join(folder, "train")):
        root = os.path.join(folder, "train")
    classes = sorted(d.rstrip("/") for d in tf.io.gfile.listdir(root)
                     if tf.io.gfile.isdir(os.path.join(root, d)))
    if not classes:
        raise DataError(f"{root!r} has no class sub-folders.")
    return root, classes


def _folder_records(folder):
    """(paths, labels) of every image under the class folders of ``folder``."""
    root, classes = _folder_classes(folder)
    paths, labels = [], []
    for label, name in enumerate(classes):
        for file in sorted(tf.io.gfile.listdir(os.path.join(root, name))):
            if file.lower().endswith(IMAGE_EXTENSIONS):
                paths.append(os.path.join(root, name, file))
                labels.append(label)
    if not paths:
        raise DataError(f"No images ({', '.join(IMAGE_EXTENSIONS)}) under {root!r}.")
    return paths, labels


def _encoded_source(spec, seed):
    """Dataset of (encoded image or uint8 image, int label) and a decode fn."""
    if spec.name == "folder":
        paths, labels = _folder_records(spec.folder)
        ds = tf.data.Dataset.from_tensor_slices((paths, labels))
        ds = ds.map(lambda p, l: (tf.io.read_file(p), l))

        def decode(data):
            return tf.io.decode_image(data, channels=3, expand_animations=False)
        return ds, decode
    import tensorflow_datasets as tfds
    builder = _prepare(spec)
    if spec.name == "digits":  # tiny: decode once and cache the uint8 images
        ds = builder.as_dataset(split=spec.split, as_supervised=True,
                                shuffle_files=False).cache()
        return ds, tf.identity
    read = tfds.ReadConfig(shuffle_seed=seed)
    ds = builder.as_dataset(split=spec.split, as_supervised=True, shuffle_files=True,
                            read_config=read,
                            decoders={"image": tfds.decode.SkipDecoding()})
    return ds, lambda data: tf.io.decode_image(data, channels=3,
                                               expand_animations=False)


def make_train_dataset(spec, resolution, num_classes, batch_size, seed=0,
                       input_context=None):
    """An infinite, shuffled, prefetched dataset of training batches.

    Args:
      spec: a DataSpec.
      resolution: image side R.
      num_classes: width of the one-hot y.
      batch_size: examples per batch of this input pipeline (per replica).
      seed: shuffling seed (the same on every pipeline; shards differ).
      input_context: tf.distribute.InputContext; shards the source by input
        pipeline.
    Yields: (images float32 [batch_size, R, R, 3] in [-1, 1],
             y float32 [batch_size, num_classes]).
    """
    ds, decode = _encoded_source(spec, seed)
    if input_context is not None and input_context.num_input_pipelines > 1:
        ds = ds.shard(input_context.num_input_pipelines,
                      input_context.input_pipeline_id)
    # Shuffle small encoded records, then decode: keeps the buffer (and the
    # data-iterator checkpoint) small.
    ds = ds.shuffle(spec.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.repeat()

    def prepare(data, label):
        image = center_crop_resize(decode(data), resolution)
        return image, tf.one_hot(tf.cast(label, tf.int32), num_classes)

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    return ds.prefetch(2)
