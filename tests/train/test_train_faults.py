"""Crashes and faults during training: SIGKILL at five random moments (inside
checkpoint writes too) and a SIGTERM never leave an unreadable checkpoint, and
the run resumes to the same weights as an uninterrupted --deterministic run; a
checkpoint that cannot be written stops training with a clear error and keeps
the previous one."""
import json
import os
import resource
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.run import load_run
from cli_helpers import REPO, cli_env, run_cli, train_command

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fault_launcher.py")


def _variables(path):
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "/.ATTRIBUTES/VARIABLE_VALUE" in name and name.startswith(
                ("generator", "discriminator", "ema_generator", "step"))}


def _assert_run_dir_readable(model_dir):
    """Every checkpoint the state file names reads completely; JSON files parse."""
    state = tf.train.get_checkpoint_state(model_dir)
    for path in (state.all_model_checkpoint_paths if state else []):
        dtypes = tf.train.load_checkpoint(path).get_variable_to_dtype_map()
        names = sorted(dtypes)
        # RestoreV2 reads every tensor, the data iterator's variant state too.
        tf.raw_ops.RestoreV2(prefix=path, tensor_names=names,
                             shape_and_slices=[""] * len(names),
                             dtypes=[dtypes[n] for n in names])
    if state:
        assert load_run(model_dir).step >= 0
    with open(os.path.join(model_dir, "model_config.json")) as f:
        json.load(f)


class _Process:
    """A training process whose output lines are collected as they come."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, cwd=REPO, env=cli_env(), text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, predicate, timeout=600):
        deadline = time.time() + timeout
        while not any(predicate(line) for line in list(self.lines)):
            assert self.proc.poll() is None, "".join(self.lines)[-3000:]
            assert time.time() < deadline, "".join(self.lines)[-3000:]
            time.sleep(0.02)

    def kill(self):
        """SIGKILL: no chance to save."""
        self.proc.kill()
        return self._finish()

    def terminate(self):
        """SIGTERM: the run saves and exits."""
        self.proc.terminate()
        return self._finish()

    def _finish(self):
        self.proc.wait(timeout=600)
        self._reader.join()
        return "".join(self.lines)


def _step_at_least(step):
    def seen(line):
        return line.startswith("step ") and int(line.split()[1].split("/")[0]) >= step
    return seen


@pytest.mark.slow
def test_train_sigkills_and_sigterm_then_identical_weights(tmp_path, digits_data_dir):
    steps = 40
    args = (f"--num_steps={steps}", "--save_every=4", "--log_every=1", "--d_steps=1",
            "--deterministic")
    reference = str(tmp_path / "reference")
    result = run_cli(train_command(reference, digits_data_dir, *args))
    assert result.returncode == 0, result.stderr[-3000:]

    model_dir = str(tmp_path / "killed")
    flags = train_command(model_dir, digits_data_dir, *args)[3:]   # after "-m tfbiggan.train"
    rng = np.random.default_rng(2026)
    # Five SIGKILLs and a SIGTERM, in a random order; "finish" (after the last
    # step: standing statistics, final checkpoint, grid) always comes last.
    kinds = list(rng.permutation(["step", "merge", "state", "step", "sigterm"])) + ["finish"]
    history = []
    for kind in kinds:
        pause = kind if kind in ("merge", "state") else ""
        proc = _Process([sys.executable, LAUNCHER, pause, "30", "--", *flags])
        latest = tf.train.latest_checkpoint(model_dir)
        start = int(latest.rsplit("-", 1)[1]) if latest else 0
        if kind in ("step", "sigterm"):
            proc.wait_for(_step_at_least(start + int(rng.integers(1, 8))))
            time.sleep(float(rng.uniform(0.0, 0.3)))
        elif kind == "finish":
            proc.wait_for(_step_at_least(steps))
            time.sleep(float(rng.uniform(0.0, 1.0)))
        else:
            proc.wait_for(lambda line: line.startswith(f"FAULT-PAUSE {kind}"))
        if kind == "sigterm":   # a polite stop saves first, then exits 128 + 15
            out = proc.terminate()
            assert proc.proc.returncode == 128 + 15, out[-2000:]
            assert "SIGTERM received: saved" in out, out[-2000:]
        else:
            out = proc.kill()
        history.append((kind, start, tf.train.latest_checkpoint(model_dir)))
        _assert_run_dir_readable(model_dir)
        if start:
            assert f"Resumed from {model_dir}/ckpt-{start}" in out, out[-2000:]
    # A kill inside a save leaves no temporary shard folder behind for long:
    # the next start removes it.
    result = run_cli([sys.executable, "-m", "tfbiggan.train", *flags])
    assert result.returncode == 0, result.stderr[-3000:]
    assert not [d for d in os.listdir(model_dir) if d.endswith("_temp")], history
    assert f"step {steps}/{steps}" in result.stdout or "restored from the checkpoint" in (
        result.stdout), result.stdout[-2000:]
    a = _variables(tf.train.latest_checkpoint(reference))
    b = _variables(tf.train.latest_checkpoint(model_dir))
    assert a.keys() == b.keys() and len(a) > 50
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=f"{name} {history}")


@pytest.mark.slow
def test_train_checkpoint_write_failure_stops_cleanly(tmp_path, digits_data_dir):
    model_dir = str(tmp_path / "full")
    argv = train_command(model_dir, digits_data_dir, "--num_steps=200", "--save_every=4",
                         "--log_every=1", "--d_steps=1")
    proc = _Process(argv)
    path = os.path.join(model_dir, "ckpt-4.index")
    deadline = time.time() + 600
    while not (os.path.exists(path) and tf.train.latest_checkpoint(model_dir)):
        assert proc.proc.poll() is None and time.time() < deadline, "".join(proc.lines)
        time.sleep(0.02)
    # "Disk full" for files as large as a checkpoint's data: the next save fails.
    data = os.path.join(model_dir, "ckpt-4.data-00000-of-00001")
    limit = os.path.getsize(data) // 2
    resource.prlimit(proc.proc.pid, resource.RLIMIT_FSIZE, (limit, limit))
    proc.proc.wait(timeout=600)
    proc._reader.join()
    out = "".join(proc.lines)
    assert proc.proc.returncode == 4, out[-3000:]
    error = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(error) == 1, out[-3000:]
    assert "could not write checkpoint ckpt-" in error[0]
    assert "the file grew past the size limit" in error[0] and "is intact" in error[0]
    assert "{{" not in error[0] and "[[" not in error[0]
    latest = tf.train.latest_checkpoint(model_dir)
    assert latest and latest in error[0]
    _assert_run_dir_readable(model_dir)
    assert not [d for d in os.listdir(model_dir) if d.endswith("_temp")]
