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
                    class (labels = sorted folder names); see
                    ``tfbiggan.data.folder`` for the scan that checks every file.

``open_source(spec)`` prepares or scans once; ``make_train_dataset(source, ...)``
builds each input pipeline from the result.
"""
import dataclasses
import os
from typing import Optional

import tensorflow as tf

from tfbiggan.data.folder import FolderError, FolderScan, folder_dataset, scan_folder
from tfbiggan.errors import InputError
from tfbiggan.settings import setting

DATASETS = ("digits", "cifar10", "imagenet2012", "folder")


class DataError(InputError):
    """The requested data cannot be found or does not fit the model."""


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """Where the training images come from (default: ImageNet, the paper's)."""
    name: str = setting("imagenet2012", f"One of {', '.join(DATASETS)}.", flag="dataset")
    split: str = setting("train", "Dataset split to train on.")
    data_dir: Optional[str] = setting(None, "tensorflow-datasets data_dir.")
    manual_dir: Optional[str] = setting(
        None, "Folder with the ILSVRC2012 tars (imagenet2012).")
    folder: Optional[str] = setting(None, "--dataset=folder: directory of class sub-folders.")
    shuffle_buffer: int = setting(10_000, "Shuffle buffer (examples).")
    skip_bad_images: bool = setting(
        False, "--dataset=folder: train on the readable images when some cannot be "
               "decoded (default: stop before training).")

    def validate(self, need):
        """Checks the spec by itself: ``need(ok, message)`` raises on a bad one."""
        need(self.name in DATASETS,
             f"--dataset={self.name!r}: choose one of {', '.join(DATASETS)}.")
        need(self.name != "folder" or self.folder,
             "--dataset=folder needs --folder=<directory of class sub-folders>.")
        need(self.name == "folder" or not self.folder,
             f"--folder={self.folder} is read only with --dataset=folder (got "
             f"--dataset={self.name}); pass --dataset=folder, or leave --folder out.")
        need(self.name == "folder" or not self.skip_bad_images,
             "--skip_bad_images applies to --dataset=folder only.")
        need(self.name == "imagenet2012" or not self.manual_dir,
             f"--manual_dir holds the ILSVRC2012 tars of --dataset=imagenet2012 (got "
             f"--dataset={self.name}); leave it out.")
        need(self.shuffle_buffer >= 1,
             f"--shuffle_buffer must be >= 1 (examples held for shuffling), got "
             f"{self.shuffle_buffer}.")


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


@dataclasses.dataclass(frozen=True)
class DataSource:
    """A DataSpec that has been opened: tfds data prepared, a folder scanned.

    Open a source once (``open_source``) and build every input pipeline of a
    run from it, so preparation and scanning happen one time, before any
    model is built.
    """
    spec: DataSpec
    num_classes: int
    folder: Optional[FolderScan] = None

    def describe(self):
        """One line for the console: what will be read."""
        if self.folder is not None:
            return f"folder: {self.folder.report()}"
        return (f"{self.spec.name}/{self.spec.split} ({self.num_classes} classes, "
                f"data_dir={self.spec.data_dir or '~/tensorflow_datasets'})")


def open_source(spec, progress=None):
    """Checks and prepares the data of ``spec``; raises DataError if unusable.

    Args:
      spec: a DataSpec.
      progress: optional callable(done, total, seconds) for a folder scan.
    """
    if spec.name not in DATASETS:
        raise DataError(f"--dataset={spec.name!r}: choose one of {', '.join(DATASETS)}.")
    if spec.name == "folder":
        try:
            scan = scan_folder(spec.folder, spec.skip_bad_images, progress=progress)
        except FolderError as error:
            raise DataError(str(error)) from None
        return DataSource(spec, len(scan.classes), scan)
    builder = _prepare(spec)
    return DataSource(spec, builder.info.features["label"].num_classes)


def _encoded_source(source, seed):
    """Dataset of (encoded image or uint8 image, int label) and a decode fn."""
    spec = source.spec
    if source.folder is not None:
        ds, decode = folder_dataset(source.folder)
        return (ds.map(lambda data, label, pillow: ((data, pillow), label)),
                lambda encoded: decode(*encoded))
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


def make_train_dataset(source, resolution, num_classes, batch_size, seed=0,
                       input_context=None, skip_examples=0):
    """An infinite, shuffled, prefetched dataset of training batches.

    Args:
      source: a DataSource from ``open_source``.
      resolution: image side R.
      num_classes: width of the one-hot y; 1 for an unconditional model,
        which ignores the labels.
      batch_size: examples per batch of this input pipeline (per replica).
      seed: shuffling seed (the same on every pipeline; shards differ).
      input_context: tf.distribute.InputContext; shards the source by input
        pipeline.
      skip_examples: examples of this pipeline's stream to pass over first
        (undecoded): a resumed run's place in the same seeded stream.
    Yields: (images float32 [batch_size, R, R, 3] in [-1, 1],
             y float32 [batch_size, num_classes]).
    """
    ds, decode = _encoded_source(source, seed)
    if input_context is not None and input_context.num_input_pipelines > 1:
        ds = ds.shard(input_context.num_input_pipelines,
                      input_context.input_pipeline_id)
    # Shuffle small encoded records, then decode: keeps the buffer (and the
    # data-iterator checkpoint) small.
    ds = ds.shuffle(source.spec.shuffle_buffer, seed=seed,
                    reshuffle_each_iteration=True)
    ds = ds.repeat()
    if skip_examples:
        ds = ds.skip(int(skip_examples))

    def prepare(data, label):
        image = center_crop_resize(decode(data), resolution)
        if num_classes == 1:  # an unconditional model: every image is "class 0"
            return image, tf.ones([1])
        return image, tf.one_hot(tf.cast(label, tf.int32), num_classes)

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    return ds.prefetch(2)
