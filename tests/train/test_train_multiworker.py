"""End to end on the command line: a two-worker MultiWorkerMirroredStrategy run
(kills and resumes are in test_train_faults.py)."""
import json
import os
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from cli_helpers import REPO, cli_env, free_ports, train_command
from tfbiggan.run import load_run


def _checkpoint_step(model_dir):
    path = tf.train.latest_checkpoint(model_dir)
    return int(path.rsplit("-", 1)[1]) if path else 0


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
