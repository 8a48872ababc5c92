"""Image folders as a dataset: one sub-folder of images per class.

``scan_folder(folder)`` runs once, when the dataset is opened, before any
model is built. It decodes every candidate file exactly as the input pipeline
will, so a corrupt file is found now, named, and never reaches training:

- Files with an image extension are decoded. TensorFlow reads JPEG, PNG, GIF,
  BMP and WebP, converting grey, CMYK, palette, RGBA (alpha dropped) and
  16-bit images to 8-bit RGB; Pillow reads TIFF the same way
  (``ImageFile.uses_pillow``).
- Files that their decoder rejects are *unreadable*: training stops with one line
  naming the count and the first few, unless ``skip_bad_images`` drops them.
- Other files (``notes.txt``, ``.DS_Store``, ...) are ignored and counted.

Labels are the sorted class folder names. If ``folder`` holds a ``train``
folder of class folders, that is the root (the tfds.ImageFolder layout).
"""
import concurrent.futures
import dataclasses
import io
import os
from typing import Callable, Optional

import numpy as np
import tensorflow as tf

from tfbiggan.errors import InputError, plain_reason

TF_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
PILLOW_EXTENSIONS = (".tif", ".tiff")
IMAGE_EXTENSIONS = TF_EXTENSIONS + PILLOW_EXTENSIONS
SHOWN = 3  # files named in a one-line report


class FolderError(InputError):
    """The folder is missing, empty, or holds unreadable images."""


@dataclasses.dataclass(frozen=True)
class ImageFile:
    path: str
    label: int
    uses_pillow: bool


@dataclasses.dataclass(frozen=True)
class FolderScan:
    """What ``scan_folder`` found.

    Attributes:
      root: the folder whose sub-folders are the classes.
      classes: class names; label i is classes[i].
      images: the readable images, in (class, file name) order.
      unreadable: (path, reason) of the files that could not be decoded.
      ignored: paths of files that are not images by their extension.
    """
    root: str
    classes: tuple
    images: tuple
    unreadable: tuple
    ignored: tuple

    def report(self):
        """One line: counts, and the first few unreadable / ignored files."""
        parts = [f"{len(self.images)} images in {len(self.classes)} classes under "
                 f"{self.root}"]
        pillow = sum(image.uses_pillow for image in self.images)
        if pillow:
            parts.append(f"{pillow} read with Pillow")
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} unreadable "
                         f"({_first(path for path, _ in self.unreadable)})")
        if self.ignored:
            parts.append(f"{len(self.ignored)} non-image files ignored "
                         f"({_first(self.ignored)})")
        return "; ".join(parts)


def _first(paths):
    paths = list(paths)
    shown = ", ".join(os.path.basename(p) for p in paths[:SHOWN])
    return shown + (", ..." if len(paths) > SHOWN else "")


def class_root(folder):
    """(root, sorted class names) of an image folder; FolderError if none."""
    if not folder or not tf.io.gfile.isdir(folder):
        raise FolderError(f"--folder={folder!r} is not a directory of class folders.")
    root = folder
    if tf.io.gfile.isdir(os.path.join(folder, "train")):
        root = os.path.join(folder, "train")
    classes = sorted(d.rstrip("/") for d in tf.io.gfile.listdir(root)
                     if tf.io.gfile.isdir(os.path.join(root, d)))
    if not classes:
        raise FolderError(f"{root!r} has no class sub-folders (one folder of images "
                          "per class is expected).")
    return root, classes


def decode_with_pillow(data):
    """Encoded bytes -> uint8 [H, W, 3] via Pillow (RGB conversion included)."""
    from PIL import Image
    with Image.open(io.BytesIO(data)) as image:
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit grey: Pillow's RGB conversion clips instead of scaling.
            # Keep the high byte, as TensorFlow's PNG decoder does.
            high = np.clip(np.asarray(image, np.int64) >> 8, 0, 255).astype(np.uint8)
            image = Image.fromarray(high)
        return np.asarray(image.convert("RGB"), np.uint8)


def _check_file(path):
    """(uses_pillow, None) for a readable image, or (None, reason)."""
    try:
        data = tf.io.gfile.GFile(path, "rb").read()
    except (OSError, tf.errors.OpError) as err:
        return None, f"cannot be read: {err}"
    if not path.lower().endswith(PILLOW_EXTENSIONS):
        try:
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
        except tf.errors.InvalidArgumentError as err:
            return None, plain_reason(err, limit=120)
        return (False, None) if image.shape[0] and image.shape[1] else (None, "empty image")
    try:
        image = decode_with_pillow(data)
    except Exception as err:  # Pillow raises many types for bad data
        return None, f"not a valid TIFF file ({type(err).__name__}: {str(err)[:100]})"
    if not (image.shape[0] and image.shape[1]):
        return None, "empty image"
    return True, None


def scan_folder(folder, skip_bad_images=False, workers=None,
                progress: Optional[Callable] = None):
    """Finds and decodes every image of an image folder once.

    Args:
      folder: a directory of class folders (or holding ``train/``).
      skip_bad_images: drop unreadable files instead of raising.
      workers: decoding threads (default: the CPU count).
      progress: optional callable(done, total, seconds) for long scans.

    Returns:
      a FolderScan.
    Raises:
      FolderError: no class folders, no images, or unreadable images while
        ``skip_bad_images`` is False (one line naming the first few).
    """
    import time
    root, classes = class_root(folder)
    candidates, ignored = [], []
    for label, name in enumerate(classes):
        directory = os.path.join(root, name)
        for file in sorted(tf.io.gfile.listdir(directory)):
            path = os.path.join(directory, file)
            if tf.io.gfile.isdir(path):
                continue
            if file.lower().endswith(IMAGE_EXTENSIONS) and not file.startswith("."):
                candidates.append((path, label))
            else:
                ignored.append(path)
    if not candidates:
        raise FolderError(f"No images ({', '.join(IMAGE_EXTENSIONS)}) in the class "
                          f"folders of {root!r}.")
    _refuse_empty_classes(root, classes, {label for _, label in candidates}, "no images")
    start = time.time()
    images, unreadable = [], []
    with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count()) as pool:
        results = pool.map(_check_file, [path for path, _ in candidates])
        for done, ((path, label), (pillow, reason)) in enumerate(
                zip(candidates, results), 1):
            if reason is None:
                images.append(ImageFile(path, label, pillow))
            else:
                unreadable.append((path, reason))
            if progress is not None and (done % 256 == 0 or done == len(candidates)):
                progress(done, len(candidates), time.time() - start)
    scan = FolderScan(root, tuple(classes), tuple(images), tuple(unreadable),
                      tuple(ignored))
    if unreadable and not skip_bad_images:
        first = "; ".join(f"{os.path.relpath(p, root)} ({why})"
                          for p, why in unreadable[:SHOWN])
        raise FolderError(
            f"{len(unreadable)} of {len(candidates)} image files under {root!r} cannot "
            f"be decoded: {first}{'; ...' if len(unreadable) > SHOWN else ''}. Fix or "
            f"remove them, or pass --skip_bad_images to train on the other "
            f"{len(images)}.")
    if not images:
        raise FolderError(f"None of the {len(candidates)} image files under {root!r} "
                          "can be decoded.")
    _refuse_empty_classes(root, classes, {image.label for image in images},
                          "no readable images")
    return scan


def _refuse_empty_classes(root, classes, present, what):
    """FolderError naming the class folders whose label has no image: such a
    label would be trained with no example of its class."""
    empty = [name for label, name in enumerate(classes) if label not in present]
    if empty:
        shown = ", ".join(os.path.join(root, name) for name in empty[:SHOWN])
        raise FolderError(
            f"{len(empty)} class folder{'s' * (len(empty) > 1)} under {root} "
            f"{'have' if len(empty) > 1 else 'has'} {what}: {shown}"
            f"{', ...' if len(empty) > SHOWN else ''}. Every sub-folder is a class; add "
            "its images, or move the folder out.")


def folder_dataset(scan):
    """(dataset of (encoded bytes, int label, uses_pillow), decode fn) of a scan.

    The decode fn maps (bytes, uses_pillow) to uint8 [H, W, 3].
    """
    paths = [image.path for image in scan.images]
    labels = [image.label for image in scan.images]
    pillow = [image.uses_pillow for image in scan.images]
    ds = tf.data.Dataset.from_tensor_slices((paths, labels, pillow))
    ds = ds.map(lambda p, l, u: (tf.io.read_file(p), l, u))

    def decode(data, uses_pillow):
        def with_tf():
            return tf.io.decode_image(data, channels=3, expand_animations=False)

        def with_pillow():
            image = tf.numpy_function(decode_with_pillow, [data], tf.uint8,
                                      stateful=False)
            return tf.ensure_shape(image, [None, None, 3])
        return tf.cond(uses_pillow, with_pillow, with_tf)
    return ds, decode
