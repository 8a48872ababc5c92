"""End-to-end CLI runs: two-worker MultiWorkerMirroredStrategy, and kill -9 /
SIGTERM followed by an automatic, deterministic resume."""
import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.run import load_run
from cli_helpers import REPO, cli_env, free_ports, run_cli, train_command


def _checkpoint_step(model_dir):
    path = tf.train.latest_checkpoint(model_dir)
    return int(path.rsplit("-", 1)[1]) if path else 0


def _variables(path):
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "/.ATTRIBUTES/VARIABLE_VALUE" in name and name.startswith(
                ("generator", "discriminator", "ema_generator", "step"))}


@pytest.mark.slow
def test_train_multiworker_two_processes(tmp_path, digits_data_dir):
    model_dir = str(tmp_path / "run")
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    argv = train_command(model_dir, digits_data_dir, "--strategy=multiworker",
                         "--num_steps=4", "--save_every=2", "--log_every=1",
                         "--d_steps=1")
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster,
                                "task": {"type": "worker", "index": index}})
        procs.append(subprocess.Popen(
            argv, cwd=REPO, env=cli_env(TF_CONFIG=tf_config), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:]
    assert "2 replica(s)" in outputs[0] and "step 4/4" in outputs[0]
    # One consistent checkpoint, written by the chief only.
    assert _checkpoint_step(model_dir) == 4
    assert not [d for d in os.listdir(model_dir) if d.startswith(".worker")]
    run = load_run(model_dir)
    assert run.step == 4
    for v in run.generator.trainable_variables:
        assert np.all(np.isfinite(v.numpy()))
    assert os.path.exists(os.path.join(model_dir, "samples", "final.png"))


@pytest.mark.slow
def test_train_kill9_and_sigterm_resume_deterministically(tmp_path, digits_data_dir):
    steps = 60
    args = (f"--num_steps={steps}", "--save_every=5", "--log_every=5", "--d_steps=1",
            "--deterministic")
    reference = str(tmp_path / "reference")
    result = run_cli(train_command(reference, digits_data_dir, *args))
    assert result.returncode == 0, result.stderr[-3000:]

    model_dir = str(tmp_path / "interrupted")
    argv = train_command(model_dir, digits_data_dir, *args)

    def start_and_wait_for(min_step):
        proc = subprocess.Popen(argv, cwd=REPO, env=cli_env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 600
        while _checkpoint_step(model_dir) < min_step:
            assert proc.poll() is None, proc.communicate()[0][-3000:]
            assert time.time() < deadline
            time.sleep(0.05)
        return proc

    proc = start_and_wait_for(10)
    proc.kill()  # SIGKILL: no chance to save
    proc.communicate()
    killed_at = _checkpoint_step(model_dir)
    assert 10 <= killed_at < steps

    proc = start_and_wait_for(killed_at + 10)
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=600)[0]
    assert f"Resumed from {model_dir}/ckpt-{killed_at} at step {killed_at}" in out
    assert proc.returncode == 128 + 15, out[-3000:]
    assert "SIGTERM received: saved" in out
    stopped_at = _checkpoint_step(model_dir)
    assert killed_at + 10 <= stopped_at < steps

    result = run_cli(argv)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"at step {stopped_at}" in result.stdout
    assert f"step {steps}/{steps}" in result.stdout
    a = _variables(tf.train.latest_checkpoint(reference))
    b = _variables(tf.train.latest_checkpoint(model_dir))
    assert a.keys() == b.keys() and len(a) > 50
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
