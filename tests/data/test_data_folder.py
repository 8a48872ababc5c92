"""Image folders: the scan finds unreadable files before training, converts
every colour format to RGB, and ignores what is not an image."""
import io
import os

import numpy as np
import pytest
from PIL import Image

from tfbiggan.data.folder import scan_folder
from tfbiggan.data.pipeline import DataError, DataSpec, make_train_dataset, open_source

RNG = np.random.default_rng(0)
RGB = Image.fromarray(RNG.integers(0, 256, (12, 12, 3), dtype=np.uint8))
GREY16 = Image.fromarray(RNG.integers(0, 65536, (12, 12), dtype=np.uint16))
# file name -> (encoded image, expected uint8 RGB as Pillow sees it)
FORMATS = {
    "grey.jpg": (RGB.convert("L"), "JPEG"),
    "cmyk.jpg": (RGB.convert("CMYK"), "JPEG"),
    "rgba.png": (RGB.convert("RGBA"), "PNG"),
    "palette.png": (RGB.convert("P"), "PNG"),
    "grey16.png": (GREY16, "PNG"),
    "rgb.webp": (RGB, "WEBP"),
    "rgb.tiff": (RGB, "TIFF"),
    "grey16.tiff": (GREY16, "TIFF"),
}


def _expected_rgb(image):
    if image.mode.startswith("I;16"):
        grey = (np.asarray(image, np.int64) >> 8).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    return np.asarray(image.convert("RGB"), np.uint8)


def _write(folder, name, image, fmt):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    (folder / name).write_bytes(buffer.getvalue())
    return _expected_rgb(Image.open(io.BytesIO(buffer.getvalue())))


@pytest.fixture()
def mixed_folder(tmp_path):
    """Class a: one file per colour format; class b: two RGB PNGs, one corrupt
    JPEG, a truncated PNG, and two files that are not images."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    expected = {name: _write(a, name, *spec) for name, spec in FORMATS.items()}
    for i in range(2):
        expected[f"ok{i}.png"] = _write(b, f"ok{i}.png", RGB, "PNG")
    (b / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(RNG.integers(0, 256, 500,
                                                                            np.uint8)))
    png = io.BytesIO()
    RGB.save(png, "PNG")
    (b / "truncated.png").write_bytes(png.getvalue()[:60])
    (b / "notes.txt").write_text("not an image")
    (b / ".DS_Store").write_bytes(b"\0\0")
    return tmp_path, expected


def test_bad_images_stop_before_training_with_one_line(mixed_folder):
    folder, _ = mixed_folder
    with pytest.raises(DataError) as info:
        open_source(DataSpec(name="folder", folder=str(folder)))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("2 of 12 image files under")
    assert "b/corrupt.jpg" in message and "b/truncated.png" in message
    assert "--skip_bad_images to train on the other 10" in message


def test_skip_bad_images_trains_on_the_rest_and_reports(mixed_folder):
    folder, expected = mixed_folder
    source = open_source(DataSpec(name="folder", folder=str(folder), skip_bad_images=True))
    scan = source.folder
    assert source.num_classes == 2 and len(scan.images) == 10
    assert sorted(os.path.basename(p) for p, _ in scan.unreadable) == [
        "corrupt.jpg", "truncated.png"]
    assert sorted(os.path.basename(p) for p in scan.ignored) == [".DS_Store", "notes.txt"]
    report = source.describe()
    assert "10 images in 2 classes" in report and "2 unreadable" in report
    assert "2 non-image files ignored" in report and "2 read with Pillow" in report
    # Every format reaches the pipeline as RGB in [-1, 1] at the model size,
    # with the pixels Pillow's RGB conversion gives (lossy decoders may differ
    # by a few levels; 16-bit grey keeps its high byte, not clipped). A shuffle
    # buffer of 1 keeps the scan's order.
    source = open_source(DataSpec(name="folder", folder=str(folder), skip_bad_images=True,
                                  shuffle_buffer=1))
    batch = len(scan.images)
    images, y = next(iter(make_train_dataset(source, 12, 2, batch_size=batch)))
    assert images.shape == (batch, 12, 12, 3)
    for image, file, label in zip(images.numpy(), scan.images, np.argmax(y, 1)):
        name = os.path.basename(file.path)
        assert label == file.label
        lossy = name.endswith(".jpg")
        got = (image + 1.0) * 127.5
        assert np.abs(got - expected[name]).max() <= (3 if lossy else 0.01), name


def test_scan_reports_an_empty_or_imageless_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "readme.md").write_text("x")
    with pytest.raises(DataError, match="No images"):
        open_source(DataSpec(name="folder", folder=str(tmp_path)))
    with pytest.raises(DataError, match="no class sub-folders"):
        open_source(DataSpec(name="folder", folder=str(tmp_path / "a")))


def test_scan_calls_progress_with_the_total(mixed_folder):
    folder, _ = mixed_folder
    calls = []
    scan_folder(str(folder), skip_bad_images=True,
                progress=lambda done, total, s: calls.append((done, total)))
    assert calls[-1] == (12, 12)
