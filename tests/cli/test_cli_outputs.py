"""Nothing lost: outputs that overlap their inputs, folders that cannot be
written, full disks, and resumes with other settings, each run against the
real command.

Every refusal row checks the exit code (2), exactly one ``error:`` line
matching the expected text, no traceback, that every ``--flag`` it suggests
exists on that command, and that the files involved are unchanged byte for
byte. The read-only and full-disk rows mount a read-only bind or a small
tmpfs in a private mount namespace (``unshare -m``, as root); where that is
impossible they are skipped with the reason.
"""
import json
import os
import re
import shutil
import sys

import pytest

from cli_helpers import (error_lines, private_mounts_work, read_only_argv, run_and_check_error,
                         run_cli, small_disk_argv, snapshot, train_command)

PY = sys.executable


@pytest.fixture()
def env(tmp_path, tiny_cli_run, tiny_export, digits_data_dir):
    """Private copies of a run, a SavedModel and a TF.js folder per row."""
    parent = tmp_path / "work"
    run = parent / "run"
    shutil.copytree(tiny_cli_run, run)
    saved_model = tmp_path / "saved_model"
    shutil.copytree(tiny_export[0], saved_model)
    tfjs = tmp_path / "tfjs"
    tfjs.mkdir()
    (tfjs / "model.json").write_text('{"format": "graph-model"}')
    source = tmp_path / "official"
    source.mkdir()
    (source / "pytorch_model.bin").write_bytes(b"weights")
    (tmp_path / "a_file").write_text("not a folder")
    return dict(run=str(run), parent=str(parent), sm=str(saved_model), tfjs=str(tfjs),
                source=str(source), file=str(tmp_path / "a_file"), data=digits_data_dir,
                tmp=str(tmp_path), new=str(tmp_path / "new"))


def _cmd(module, *args):
    return lambda env: [PY, "-m", module, *(a.format(**env) for a in args)]


def _train(*args):
    return lambda env: train_command(*(a.format(**env) for a in ("{run}", "{data}")),
                                     "--num_steps=4", "--d_steps=1",
                                     *(a.format(**env) for a in args))


# (id, argv(env), message regex, files that must not change)
OVERLAPS = [
    ("export over its own run", _cmd("hub_export.export", "--model_dir={run}",
                                     "--output={run}", "--overwrite"),
     r"--output=\S+/run is the same path as --model_dir=\S+/run: writing there would "
     r"replace the input", ("run",)),
    ("export over the folder holding its run",
     _cmd("hub_export.export", "--model_dir={run}", "--output={parent}", "--overwrite"),
     r"--output=\S+/work contains --model_dir=\S+/run", ("run",)),
    ("export into its run", _cmd("hub_export.export", "--model_dir={run}",
                                 "--output={run}/export"),
     r"--output=\S+/run/export lies inside --model_dir=\S+/run", ("run",)),
    ("export over its checkpoint",
     _cmd("hub_export.export", "--model_dir={tmp}/nope", "--checkpoint={run}/ckpt-2",
          "--output={run}", "--overwrite"),
     r"--output=\S+/run contains --checkpoint=\S+/run/ckpt-2", ("run",)),
    ("tfjs into its SavedModel", _cmd("hub_export.tfjs", "--saved_model={sm}", "--output={sm}"),
     r"--output=\S+/saved_model is the same path as --saved_model=", ("sm",)),
    ("tflite into its SavedModel",
     _cmd("hub_export.tflite", "--saved_model={sm}", "--output={sm}"),
     r"--output=\S+/saved_model is the same path as --saved_model=", ("sm",)),
    ("tflite into a folder inside its SavedModel",
     _cmd("hub_export.tflite", "--saved_model={sm}", "--output={sm}/variables"),
     r"--output=\S+/variables lies inside --saved_model=", ("sm",)),
    ("web over its TF.js model", _cmd("hub_export.web", "--model={tfjs}", "--output={tfjs}"),
     r"--output=\S+/tfjs is the same path as --model=", ("tfjs",)),
    ("web over the folder holding its TF.js model",
     _cmd("hub_export.web", "--model={tfjs}", "--output={tmp}"),
     r"--output=\S+ contains --model=\S+/tfjs", ("tfjs",)),
    ("import_weights over its source",
     _cmd("hub_export.import_weights", "--source={source}", "--output={source}",
          "--overwrite"),
     r"--output=\S+/official is the same path as --source=", ("source",)),
    ("evaluate results into the run itself",
     _cmd("tfbiggan.evaluate", "grid", "--model_dir={run}", "--output_dir={run}"),
     r"--output_dir=\S+/run is the same path as --model_dir=", ("run",)),
    ("evaluate results over the folder holding the run",
     _cmd("tfbiggan.evaluate", "metrics", "--model_dir={run}", "--output_dir={parent}"),
     r"--output_dir=\S+/work contains --model_dir=", ("run",)),
    ("evaluate results into the run's samples",
     _cmd("tfbiggan.evaluate", "grid", "--model_dir={run}", "--output_dir={run}/samples"),
     r"--output_dir=\S+/run/samples lies inside --model_dir=", ("run",)),
    ("train with a file as --model_dir", lambda env: train_command(env["file"], env["data"]),
     r"--model_dir=\S+/a_file is a file, not a folder", ("file",)),
    ("train under a file", lambda env: train_command(env["file"] + "/run", env["data"]),
     r"--model_dir=\S+/a_file/run cannot be made: \S+/a_file is a file", ("file",)),
    ("tflite with a file as --output",
     _cmd("hub_export.tflite", "--saved_model={sm}", "--output={file}"),
     r"--output=\S+/a_file is a file, not a folder", ("sm", "file")),
    ("export with a file as --output",
     _cmd("hub_export.export", "--model_dir={run}", "--output={file}", "--overwrite"),
     r"--output=\S+/a_file is a file, not a folder", ("run", "file")),
    ("resume with another loss", _train("--loss=wasserstein"),
     r"run was trained to step 2 with other settings: --loss 'hinge' \(now 'wasserstein'\)\. "
     r".*--allow_setting_changes", ("run",)),
    ("resume with another batch, iterator saved", _train("--batch_size=16"),
     r"with other settings: --batch_size 8 \(now 16\)", ("run",)),
    ("resume with another learning rate and data order",
     _train("--g_lr=5e-4", "--seed=3"),
     r"with other settings: --g_lr 5e-05 \(now 0.0005\), --seed 0 \(now 3\)", ("run",)),
]

# One row per command stays in the default suite (each starts TensorFlow).
DEFAULT = {"export over its own run", "tfjs into its SavedModel", "tflite into its SavedModel",
           "evaluate results into the run itself", "resume with another loss"}


def _check_refusal(command, message, kept, env, before):
    line = run_and_check_error(command, 2, message)
    assert snapshot(*(env[k] for k in kept)) == before
    return line


@pytest.mark.parametrize("row", [
    pytest.param(row, id=row[0], marks=() if row[0] in DEFAULT else pytest.mark.slow)
    for row in OVERLAPS])
def test_cli_refuses_without_touching_anything(row, env):
    _, argv, message, kept = row
    before = snapshot(*(env[k] for k in kept))
    assert before
    _check_refusal(argv(env), message, kept, env, before)
    assert not os.path.exists(env["new"])


def _needs_private_mounts():
    if not private_mounts_work():
        pytest.skip("read-only and full-disk rows need `unshare -m` as root here")


READ_ONLY = [
    ("train into a read-only run", "run", lambda env: train_command(env["run"], env["data"]),
     r"--model_dir=\S+/run cannot be written: the filesystem is read-only"),
    ("train into a new folder on a read-only disk", "parent",
     lambda env: train_command(env["parent"] + "/new_run", env["data"]),
     r"--model_dir=\S+/new_run cannot be written \(its parent \S+/work\): the filesystem "
     r"is read-only"),
    ("export into a read-only parent", "parent",
     _cmd("hub_export.export", "--model_dir={run}", "--output={parent}/export"),
     r"--output=\S+/work/export cannot be written \(its parent \S+/work\): the filesystem "
     r"is read-only"),
]


@pytest.mark.slow
@pytest.mark.parametrize("row", READ_ONLY, ids=[row[0] for row in READ_ONLY])
def test_cli_read_only_folders(row, env):
    _needs_private_mounts()
    _, folder, argv, message = row
    before = snapshot(env["parent"])
    _check_refusal(read_only_argv(argv(env), env[folder]), message, ("parent",), env, before)


@pytest.mark.slow
def test_train_on_a_full_disk_names_the_cause(env):
    _needs_private_mounts()
    disk = os.path.join(env["tmp"], "disk")
    os.mkdir(disk)
    argv = train_command(disk + "/run", env["data"], "--num_steps=2", "--save_every=1",
                         "--d_steps=1")
    result = run_cli(small_disk_argv(argv, disk, size="200k"), timeout=300)
    output = result.stderr + result.stdout
    assert result.returncode == 4, output[-3000:]
    errors = error_lines(output)
    assert len(errors) == 1 and "Traceback" not in output, output[-3000:]
    assert re.search(r"could not write checkpoint ckpt-1 in \S+/run: no space left on "
                     r"device\. Training stopped at step 1; no earlier checkpoint exists",
                     errors[0]), errors
    assert "{{" not in errors[0] and "[[" not in errors[0]


@pytest.mark.slow
def test_resume_with_allowed_changes_is_recorded(env):
    """--allow_setting_changes continues with a new loss, learning rate and
    batch (the iterator's saved state no longer fits, so the stream skips the
    examples drawn), says so, and records a history entry with the next
    checkpoint; the record is untouched until that checkpoint exists."""
    record = os.path.join(env["run"], "model_config.json")
    with open(record) as f:
        before = json.load(f)
    result = run_cli(train_command(env["run"], env["data"], "--num_steps=3", "--d_steps=1",
                                   "--loss=wasserstein", "--g_lr=5e-4",
                                   "--batch_size=16", "--allow_setting_changes"))
    output = result.stderr + result.stdout
    assert result.returncode == 0, output[-3000:]
    assert ("the data continues from skipping the examples already drawn (16 examples)"
            in output), output[-3000:]
    assert re.search(r"Settings changed at step 2 \(--allow_setting_changes\): --batch_size "
                     r"8 -> 16, --g_lr 5e-05 -> 0.0005, --loss 'hinge' -> 'wasserstein'",
                     output), output[-3000:]
    with open(record) as f:
        after = json.load(f)
    entry, = after["history"]
    assert entry["step"] == 2
    assert entry["changes"] == {"batch_size": {"from": 8, "to": 16},
                                "g_lr": {"from": 5e-05, "to": 0.0005},
                                "loss": {"from": "hinge", "to": "wasserstein"}}
    assert after["settings"]["loss"] == "wasserstein" and after["model"] == before["model"]
    # The run now carries its new settings: resuming with them needs no flag.
    result = run_cli(train_command(env["run"], env["data"], "--num_steps=4", "--d_steps=1",
                                   "--loss=wasserstein", "--g_lr=5e-4",
                                   "--batch_size=16"))
    assert result.returncode == 0, (result.stderr + result.stdout)[-3000:]
    with open(record) as f:
        assert len(json.load(f)["history"]) == 1
