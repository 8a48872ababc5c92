"""Small synthetic datasets in the real on-disk formats, for trying the
ImageNet and CIFAR-10 recipes end to end without the data (and for tests).

- ``write_imagenet_tars(manual_dir)``: ``ILSVRC2012_img_train.tar`` (a tar of
  per-class tars ``<synset>.tar`` holding ``<synset>_<n>.JPEG``) and
  ``ILSVRC2012_img_val.tar`` (flat ``ILSVRC2012_val_<8 digits>.JPEG``), exactly
  what tfds's ``imagenet2012`` builder reads from ``manual_dir``. Validation
  labels come from the builder's own list by position, so the classes used are
  the synsets of the first validation images.
- ``prepare_cifar10(data_dir)``: CIFAR-10's binary batches (1 label byte, then
  1024 R, 1024 G, 1024 B bytes per record) turned into a prepared tfds
  ``cifar10`` by the real builder's example generator; only the download is
  skipped.

Images are random colour gradients of varied sizes; the content is
meaningless, the formats are not.
"""
import io
import os
import tarfile
import tempfile

import numpy as np

CIFAR_TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR_TEST_FILE = "test_batch.bin"
CIFAR_LABELS = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                "ship", "truck")
# tfds's imagenet2012 builder re-encodes this file, a PNG named .JPEG in the
# real archive; one synthetic image takes its name to exercise that path.
IMAGENET_PNG_AS_JPEG = "n02105855_2933.JPEG"


def _picture(rng, height, width):
    """uint8 [height, width, 3]: a random colour gradient plus noise."""
    ys, xs = np.meshgrid(np.linspace(0, 1, height), np.linspace(0, 1, width),
                         indexing="ij")
    corners = rng.uniform(0, 255, (3, 3))
    image = corners[0] + corners[1] * ys[..., None] + corners[2] * xs[..., None]
    image = image / 2 + rng.normal(0, 12, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def _encode(image, fmt):
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, fmt)
    return buffer.getvalue()


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def imagenet_validation_synsets(count):
    """The synsets tfds's imagenet2012 assigns to the first ``count``
    validation images (its validation_labels.txt, by sorted file name)."""
    import tensorflow_datasets as tfds
    path = tfds.core.tfds_path("datasets/imagenet2012/validation_labels.txt")
    return path.read_text().split()[:count]


def write_imagenet_tars(manual_dir, num_val=4, images_per_class=3, seed=0):
    """Writes a tiny ILSVRC2012 train/val tar pair into ``manual_dir``.

    Args:
      num_val: validation images; their synsets (duplicates merged) are the
        training classes.
      images_per_class: training JPEGs per class, of varied sizes (not square).
    Returns:
      the sorted list of synsets used.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(manual_dir, exist_ok=True)
    val_synsets = imagenet_validation_synsets(num_val)
    synsets = sorted(set(val_synsets))
    with tarfile.open(os.path.join(manual_dir, "ILSVRC2012_img_train.tar"), "w") as train:
        for synset in synsets:
            inner = io.BytesIO()
            with tarfile.open(fileobj=inner, mode="w") as class_tar:
                for n in range(images_per_class):
                    size = rng.integers(36, 80, 2)
                    name = f"{synset}_{n + 1}.JPEG"
                    fmt = "JPEG"
                    if n == 0 and IMAGENET_PNG_AS_JPEG.startswith(synset):
                        name, fmt = IMAGENET_PNG_AS_JPEG, "PNG"
                    _add(class_tar, name, _encode(_picture(rng, *size), fmt))
            _add(train, f"{synset}.tar", inner.getvalue())
    with tarfile.open(os.path.join(manual_dir, "ILSVRC2012_img_val.tar"), "w") as val:
        for index in range(1, num_val + 1):
            size = rng.integers(36, 80, 2)
            _add(val, f"ILSVRC2012_val_{index:08d}.JPEG",
                 _encode(_picture(rng, *size), "JPEG"))
    return synsets


def write_cifar10_binaries(folder, records_per_file=6, seed=0):
    """CIFAR-10 binary batches (five train files and one test file) plus
    ``batches.meta.txt`` in ``folder``; labels cycle through the 10 classes."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    index = 0
    for name in CIFAR_TRAIN_FILES + (CIFAR_TEST_FILE,):
        records = []
        for _ in range(records_per_file):
            image = _picture(rng, 32, 32)
            records.append(bytes([index % 10]) + image.transpose(2, 0, 1).tobytes())
            index += 1
        with open(os.path.join(folder, name), "wb") as f:
            f.write(b"".join(records))
    with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
        f.write("\n".join(CIFAR_LABELS) + "\n")


def prepare_cifar10(data_dir, records_per_file=6, seed=0):
    """A prepared tfds ``cifar10`` in ``data_dir``, from synthetic binaries.

    The real builder's ``_generate_examples`` parses the binary records and
    tfds writes its usual files, so ``tfds.builder("cifar10", data_dir=...)``
    then reads it like the downloaded dataset. Returns the builder.
    """
    import tensorflow_datasets as tfds
    from tensorflow_datasets.image_classification.cifar import Cifar10

    with tempfile.TemporaryDirectory() as tmp:
        write_cifar10_binaries(tmp, records_per_file, seed)

        class LocalCifar10(Cifar10, skip_registration=True):
            """CIFAR-10 from local binaries instead of the download."""
            name = "cifar10"

            def _split_generators(self, dl_manager):
                del dl_manager
                with open(os.path.join(tmp, "batches.meta.txt")) as f:
                    self.info.features["label"].names = f.read().split()
                return {
                    tfds.Split.TRAIN: self._generate_examples(
                        "train_", [os.path.join(tmp, f) for f in CIFAR_TRAIN_FILES]),
                    tfds.Split.TEST: self._generate_examples(
                        "test_", [os.path.join(tmp, CIFAR_TEST_FILE)]),
                }

        builder = LocalCifar10(data_dir=data_dir)
        builder.download_and_prepare()
    return builder
