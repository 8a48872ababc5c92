"""Bad inputs a new user meets, one row each: flags, data, images, run
directories and checkpoints, export inputs and signature inputs.

Each command-line row runs the real command in a subprocess and checks its
exit code (2 for bad input, by ``tfbiggan.cli``'s convention), that it
prints exactly one ``error:`` line matching the expected text and no
traceback, that every ``--flag`` the line suggests is a flag of that
command, and that every file it was pointed at is byte-for-byte unchanged
afterwards: nothing lost, nothing overwritten. Signature rows call the
exported SavedModel in this process. Outputs that overlap their inputs,
unwritable folders and resumes with other settings are in
``test_cli_outputs.py``.
"""
import io
import os
import shutil
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from cli_helpers import run_and_check_error, snapshot, train_command

PY = sys.executable


@pytest.fixture()
def env(tmp_path, tiny_cli_run, digits_data_dir):
    """Paths the rows refer to; the run is a private copy per row."""
    run = str(tmp_path / "run")
    shutil.copytree(tiny_cli_run, run)
    folder = tmp_path / "images"
    for label in ("cats", "dogs"):
        (folder / label).mkdir(parents=True)
        for i in range(2):
            buffer = io.BytesIO()
            Image.new("RGB", (20, 16), (40 * i, 90, 200)).save(buffer, "PNG")
            (folder / label / f"{i}.png").write_bytes(buffer.getvalue())
    (folder / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / "keep.txt").write_text("an earlier export")
    return dict(run=run, data=digits_data_dir, folder=str(folder), tmp=str(tmp_path),
                new=str(tmp_path / "new"), exported=str(exported))


def _damage_checkpoint(env):
    data = os.path.join(env["run"], "ckpt-2.data-00000-of-00001")
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 3)


def _damage_config(env):
    with open(os.path.join(env["run"], "model_config.json"), "w") as f:
        f.write('{"model": {"architecture": "bigg')


def _train(*flags):
    return lambda env: train_command(env["new"], env["data"], *flags)


def _resume(*flags):
    """Resumes the tiny run with its own settings (and ``flags``)."""
    return lambda env: train_command(env["run"], env["data"], "--num_steps=4",
                                     "--d_steps=1", *flags)


def _cmd(module, *args):
    return lambda env: [PY, "-m", module, *(a.format(**env) for a in args)]


# (id, argv(env), exit code, message regex, setup(env) or None, folders that must not change)
ROWS = [
    ("flag: unknown preset", _train("--preset=biggan-1024"), 2,
     r"--preset='biggan-1024' is unknown; choose one of", None, ()),
    ("flag: batch size 0", _train("--batch_size=0"), 2,
     r"--batch_size must be >= 1, got 0", None, ()),
    ("flag: batch not divisible", _train("--batch_size=9", "--num_accumulations=2"), 2,
     r"--batch_size=9 is not divisible by num_accumulations \(2\)", None, ()),
    ("flag: unknown loss", _train("--loss=wgan"), 2,
     r"--loss='wgan': choose one of .*\bhinge\b.*wasserstein", None, ()),
    ("flag: EMA decay 1", _train("--ema_decay=1.0"), 2,
     r"--ema_decay must be in \[0, 1\), got 1.0", None, ()),
    ("flag: unsupported resolution", _train("--resolution=48"), 2,
     r"resolution must be one of \(32, 64, 128, 256, 512\), got 48", None, ()),
    ("flag: misspelt flag", _train("--lerning_rate=1e-4"), 2,
     r"Unknown command line flag 'lerning_rate'", None, ()),
    ("flag: not a number", _train("--batch_size=abc"), 2,
     r"flag --batch_size=abc: invalid literal for int", None, ()),
    ("flag: beta2 above 1", _train("--beta2=1.5"), 2,
     r"--beta2 must be in \[0, 1\) \(Adam's moment decay\), got 1.5", None, ()),
    ("flag: NaN learning rate", _train("--g_lr=nan"), 2,
     r"--g_lr=nan: give a finite number", None, ()),
    ("flag: zero shuffle buffer", _train("--shuffle_buffer=0"), 2,
     r"--shuffle_buffer must be >= 1", None, ()),
    ("flag: flagfile missing", _train("--flagfile=no/such.flags"), 2,
     r"--flagfile cannot be read: .*No such file", None, ()),
    ("data: folder dataset without --folder", _train("--dataset=folder"), 2,
     r"--dataset=folder needs --folder=", None, ()),
    ("data: folder does not exist", _train("--dataset=folder", "--folder=/no/such/dir"), 2,
     r"--folder='/no/such/dir' is not a directory of class folders", None, ()),
    ("image: corrupt JPEG in a folder",
     lambda env: _train("--dataset=folder", f"--folder={env['folder']}",
                        "--num_classes=2")(env), 2,
     r"1 of 5 image files under .* cannot be decoded: dogs/broken.jpg \(not a valid "
     r"JPEG file\).*--skip_bad_images to train on the other 4", None, ("folder",)),
    ("data: empty class folder",
     lambda env: _train("--dataset=folder", f"--folder={env['folder']}",
                        "--num_classes=3", "--skip_bad_images")(env), 2,
     r"1 class folder under .* has no images: .*/empty\. Every sub-folder is a class",
     lambda env: os.mkdir(os.path.join(env["folder"], "empty")), ("folder",)),
    ("data: class count differs from the model", _train("--num_classes=7"), 2,
     r"--dataset=digits has 10 classes but the model has num_classes=7; pass "
     r"--num_classes=10", None, ()),
    ("data: ImageNet tars missing",
     lambda env: _train("--dataset=imagenet2012", "--num_classes=1000",
                        f"--data_dir={env['tmp']}/tfds")(env), 2,
     r"ILSVRC2012_img_train.tar, ILSVRC2012_img_val.tar missing from manual_dir=.* "
     r"pass --manual_dir", None, ()),
    ("run dir: resume with another model", _resume("--g_ch=8"), 2,
     r"holds a run of a different model \(g_ch: saved 4 vs requested 8\)", None, ("run",)),
    ("checkpoint: damaged data file", _resume(), 2,
     r"checkpoint .*ckpt-2 cannot be read .*move them aside", _damage_checkpoint, ("run",)),
    ("run dir: damaged model_config.json", _resume(), 2,
     r"model_config.json is damaged \(JSONDecodeError", _damage_config, ("run",)),
    ("evaluate: not a run directory",
     _cmd("tfbiggan.evaluate", "metrics", "--model_dir={tmp}"), 2,
     r"model_config.json not found: .* is not a tfbiggan training directory", None, ()),
    ("evaluate: truncation out of range",
     _cmd("tfbiggan.evaluate", "grid", "--model_dir={run}", "--truncations=1.5"), 2,
     r"truncation must be in \[0, 1\] or None, got 1.5", None, ("run",)),
    ("export: output exists",
     _cmd("hub_export.export", "--model_dir={run}", "--output={exported}"), 2,
     r"exported' exists and is not empty; pass --overwrite", None, ("run", "exported")),
    ("export: checkpoint without standing statistics",
     _cmd("hub_export.export", "--model_dir={run}", "--checkpoint={run}/ckpt-1",
          "--output={new}"), 2,
     r"ckpt-1' has no standing statistics.*pass --compute_standing", None, ("run",)),
    ("export: run directory missing",
     _cmd("hub_export.export", "--model_dir={tmp}/nope", "--output={new}"), 2,
     r"nope/model_config.json not found", None, ()),
    ("export: --init=random without --preset",
     _cmd("hub_export.export", "--init=random", "--output={new}"), 2,
     r"--init=random needs --preset", None, ()),
    ("tflite: not a SavedModel",
     _cmd("hub_export.tflite", "--saved_model={run}", "--output={new}"), 2,
     r"No saved_model.pb in .*run", None, ("run",)),
    ("evaluate: no subcommand", _cmd("tfbiggan.evaluate", "--model_dir={run}"), 2,
     r"name a subcommand: python -m tfbiggan.evaluate \{train-classifier\|metrics", None,
     ("run",)),
]


# One row per kind of input stays in the default suite (each row starts a
# TensorFlow process, ~13 s on 2 cores); CI's slow run has the whole table.
DEFAULT_ROWS = {"flag: unknown preset", "flag: misspelt flag", "flag: beta2 above 1",
                "image: corrupt JPEG in a folder",
                "run dir: resume with another model", "checkpoint: damaged data file",
                "evaluate: not a run directory", "export: output exists",
                "tflite: not a SavedModel"}


@pytest.mark.parametrize("row", [
    pytest.param(row, id=row[0], marks=() if row[0] in DEFAULT_ROWS else pytest.mark.slow)
    for row in ROWS])
def test_cli_bad_input(row, env):
    _, argv, code, message, setup, kept = row
    if setup:
        setup(env)
    before = snapshot(*(env[k] for k in kept))
    run_and_check_error(argv(env), code, message)
    assert snapshot(*(env[k] for k in kept)) == before
    assert not os.path.exists(env["new"]) or not os.listdir(env["new"])


# --- signature inputs of the tiny export (tests/conftest.py) ---

@pytest.fixture(scope="module")
def signatures(tiny_export):
    return tf.saved_model.load(tiny_export[0]).signatures


def _feed(**changes):
    rng = np.random.default_rng(0)
    feed = {"z": rng.standard_normal((2, 16)).astype(np.float32),
            "y": np.eye(4, dtype=np.float32)[[0, 3]], "truncation": np.float32(0.5)}
    feed.update(changes)
    return feed


def _with_value(name, index, value):
    feed = _feed()
    feed[name] = feed[name].copy()
    feed[name][index] = value
    return feed


BAD = tf.errors.InvalidArgumentError
SIGNATURE_ROWS = [
    ("z of width 15 (numpy)", "default", lambda: _feed(z=np.zeros((2, 15), np.float32)),
     False, TypeError, r"shape=\(None, 16\).*name='z'"),
    ("z of width 15 (tensor)", "default", lambda: _feed(z=np.zeros((2, 15), np.float32)),
     True, BAD, r"Shape of tensor z \[2,15\] .* expected shape \[\?,16\]"),
    ("y of 5 classes", "default", lambda: _feed(y=np.zeros((2, 5), np.float32)),
     True, BAD, r"Shape of tensor y \[2,5\] .* expected shape \[\?,4\]"),
    ("truncation per row", "default", lambda: _feed(truncation=np.float32([0.5, 0.5])),
     True, BAD, r"Shape of tensor truncation \[2\] .* expected shape \[\]"),
    ("truncation of shape [1] (tensor)", "default",
     lambda: _feed(truncation=np.float32([0.5])),
     True, BAD, r"Shape of tensor truncation \[1\] is not compatible with expected shape \[\]"),
    ("truncation of shape [1] (numpy)", "default",
     lambda: _feed(truncation=np.float32([0.5])),
     False, TypeError, r"shape=\(1,\).*name='truncation'"),
    ("batch of 0", "default",
     lambda: _feed(z=np.zeros((0, 16), np.float32), y=np.zeros((0, 4), np.float32)),
     False, BAD, r"inputs z and y must have the same number of rows \(one per sample\), at "
                 r"least 1; got rows of z, y:\] \[0\] \[0\]"),
    ("z and y of different batches", "default",
     lambda: _feed(y=np.eye(4, dtype=np.float32)[[1]]),
     False, BAD, r"inputs z and y must have the same number of rows .* got rows of z, y:\] "
                 r"\[2\] \[1\]"),
    ("images and y of different batches", "discriminator",
     lambda: {"images": np.zeros((3, 32, 32, 3), np.float32), "y": _feed()["y"]},
     True, BAD, r"inputs images and y must have the same number of rows .*\[3\] \[2\]"),
    ("float64 z", "default", lambda: _feed(z=np.zeros((2, 16))),
     True, BAD, r"expected to be a float tensor but is a double tensor"),
    ("NaN truncation", "default", lambda: _feed(truncation=np.float32(np.nan)),
     True, BAD, r"input 'truncation' holds NaN or Inf"),
    ("Inf in z", "default", lambda: _with_value("z", (1, 3), np.inf),
     True, BAD, r"input 'z' holds NaN or Inf"),
    ("NaN in y", "default", lambda: _with_value("y", (0, 0), np.nan),
     True, BAD, r"input 'y' holds NaN or Inf"),
    ("images of 16x16 to the discriminator", "discriminator",
     lambda: {"images": np.zeros((2, 16, 16, 3), np.float32), "y": _feed()["y"]},
     True, BAD, r"Shape of tensor images \[2,16,16,3\]"),
]


@pytest.mark.parametrize("row", SIGNATURE_ROWS, ids=[row[0] for row in SIGNATURE_ROWS])
def test_signature_bad_input(row, signatures):
    _, key, feed, as_tensors, error, message = row
    feed = feed()
    if as_tensors:
        feed = {k: tf.constant(v) for k, v in feed.items()}
    with pytest.raises(error, match=message):
        signatures[key](**feed)
