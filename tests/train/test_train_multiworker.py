"""A two-worker MultiWorkerMirroredStrategy cluster on 127.0.0.1, end to end on
the command line, with its faults (single-machine kills and resumes are in
test_train_faults.py).

One test walks a run through what a cluster meets, with ``--deterministic``:

1. an uninterrupted 2-worker run (the reference): both workers exit 0, the
   chief alone writes the checkpoints;
2. the same run relaunched from nothing and sent SIGTERM on worker 1 (a
   preemption notice): every worker saves at the same step and exits 143;
3. relaunched, it resumes there; SIGKILL on the chief (worker 0, which also
   hosts the coordination service): the surviving worker does not hang but
   exits 5 within a bounded time, with one ``error:`` line naming the lost
   worker and the last complete checkpoint;
4. relaunched, it resumes from that checkpoint and finishes: its final
   weights equal the reference's bit for bit.
"""
import json
import os
import re
import signal
import subprocess
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

from cli_helpers import REPO, cli_env, error_lines, free_ports, train_command
from tfbiggan.run import load_run

pytestmark = pytest.mark.slow

# Enough steps after the preemption notice (sent at step 2) that a loaded
# machine, on which the workers agree on the save step seconds later, still
# leaves the resumed run steps to be killed in.
STEPS = 24
# The coordination service's heartbeat timeout is about 10 s; a killed peer's
# connection usually resets at once. Either way, well under this bound.
LOST_WORKER_BOUND_S = 60


class Cluster:
    """Two training processes of one run, their output collected as it comes."""

    def __init__(self, model_dir, data_dir, log_dir, name):
        ports = free_ports(2)
        cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
        argv = train_command(model_dir, data_dir, "--strategy=multiworker",
                             f"--num_steps={STEPS}", "--save_every=4", "--log_every=1",
                             "--d_steps=1", "--deterministic")
        self.procs, self.lines = [], [[], []]
        for index in range(2):
            tf_config = json.dumps({"cluster": cluster,
                                    "task": {"type": "worker", "index": index}})
            proc = subprocess.Popen(argv, cwd=REPO, env=cli_env(TF_CONFIG=tf_config),
                                    text=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            self.procs.append(proc)
            threading.Thread(target=self._read, args=(index,), daemon=True).start()
        self.log_dir, self.name = log_dir, name

    def _read(self, index):
        for line in self.procs[index].stdout:
            self.lines[index].append(line)

    def output(self, index):
        return "".join(self.lines[index])

    def wait_for_step(self, step, timeout=600):
        deadline = time.time() + timeout
        while not any(re.match(rf"step {step}/", l) for l in list(self.lines[0])):
            assert all(p.poll() is None for p in self.procs), self.output(0)[-3000:]
            assert time.time() < deadline, self.output(0)[-3000:]
            time.sleep(0.05)

    def wait(self, timeout=600):
        codes = [p.wait(timeout=timeout) for p in self.procs]
        time.sleep(0.5)  # the reader threads take the last lines
        for index in range(2):
            with open(os.path.join(self.log_dir, f"{self.name}.worker{index}.log"), "w") as f:
                f.write(self.output(index))
        return codes


def _weights(model_dir):
    """Every variable of G, EMA G and D (and the step) in the final checkpoint."""
    path = tf.train.latest_checkpoint(model_dir)
    assert load_run(model_dir, path).step == STEPS
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if name.endswith("/.ATTRIBUTES/VARIABLE_VALUE") and name.startswith(
                ("generator/", "discriminator/", "ema_generator/", "step/"))}


def _latest_step(model_dir):
    path = tf.train.latest_checkpoint(model_dir)
    return int(path.rsplit("-", 1)[1]) if path else None


def test_multiworker_preemption_lost_worker_and_relaunch(tmp_path, digits_data_dir):
    logs = str(tmp_path)
    reference = str(tmp_path / "reference")
    start = time.time()
    cluster = Cluster(reference, digits_data_dir, logs, "reference")
    assert cluster.wait() == [0, 0], cluster.output(0)[-3000:] + cluster.output(1)[-3000:]
    assert "2 replica(s)" in cluster.output(0) and f"step {STEPS}/{STEPS}" in cluster.output(0)
    assert _latest_step(reference) == STEPS
    assert not [d for d in os.listdir(reference) if d.startswith(".worker")]
    assert os.path.exists(os.path.join(reference, "samples", "final.png"))
    timings = {"uninterrupted run": time.time() - start}

    # 2. A preemption notice on worker 1: both save at one step and exit 143.
    model_dir = str(tmp_path / "run")
    start = time.time()
    cluster = Cluster(model_dir, digits_data_dir, logs, "preempted")
    cluster.wait_for_step(2)
    cluster.procs[1].send_signal(signal.SIGTERM)
    assert cluster.wait() == [143, 143], cluster.output(0)[-3000:]
    saved = [re.findall(r"every worker saved at step (\d+)", cluster.output(i))
             for i in range(2)]
    assert saved[0] and saved[0] == saved[1], (cluster.output(0)[-2000:],
                                               cluster.output(1)[-2000:])
    assert _latest_step(model_dir) == int(saved[0][0])
    timings["preempted run"] = time.time() - start

    # 3. Resumed; the chief is killed: the survivor stops within the bound.
    start = time.time()
    cluster = Cluster(model_dir, digits_data_dir, logs, "lost_chief")
    resumed = int(saved[0][0])
    assert resumed + 3 < STEPS, f"the preemption save came only at step {resumed}"
    cluster.wait_for_step(resumed + 3)
    assert f"Resumed from {model_dir}/ckpt-{resumed}" in cluster.output(0)
    cluster.procs[0].kill()
    killed = time.time()
    try:
        code = cluster.procs[1].wait(timeout=LOST_WORKER_BOUND_S)
    except subprocess.TimeoutExpired:
        cluster.procs[1].kill()
        pytest.fail(f"worker 1 still ran {LOST_WORKER_BOUND_S} s after the chief died:\n"
                    + cluster.output(1)[-3000:])
    stopped_after = time.time() - killed
    cluster.wait()
    survivor = cluster.output(1)
    assert code == 5, survivor[-3000:]
    errors = error_lines(survivor)
    assert len(errors) == 1 and "Traceback" not in survivor, survivor[-3000:]
    latest = tf.train.latest_checkpoint(model_dir)
    assert re.search(r"error: lost worker /job:worker/replica:0/task:0 after step \d+ \(.+\); "
                     r"this worker stopped too and the last complete checkpoint is "
                     + re.escape(latest) + r"\. Relaunch every worker", errors[0]), errors
    timings["resumed run, chief killed"] = time.time() - start

    # 4. Relaunched: it resumes from the last complete checkpoint and finishes
    # with the weights of the uninterrupted run.
    start = time.time()
    cluster = Cluster(model_dir, digits_data_dir, logs, "relaunched")
    assert cluster.wait() == [0, 0], cluster.output(0)[-3000:] + cluster.output(1)[-3000:]
    assert f"Resumed from {latest}" in cluster.output(0)
    timings["relaunched run"] = time.time() - start
    expected, got = _weights(reference), _weights(model_dir)
    assert len(expected) > 50 and expected.keys() == got.keys()
    different = [k for k in expected if not np.array_equal(expected[k], got[k])]
    assert not different, different[:5]
    print("wall times: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
          + f"; the survivor stopped {stopped_after:.1f} s after the chief was killed")
