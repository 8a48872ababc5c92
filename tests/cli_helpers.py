"""Helpers of the tests that start the command lines (`python -m tfbiggan.train`, ...)."""
import os
import socket
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train_command(model_dir, data_dir, *extra):
    """argv of a tiny CLI training run on the digits."""
    return [sys.executable, "-m", "tfbiggan.train", "--preset=tiny", "--num_classes=10",
            f"--model_dir={model_dir}", f"--data_dir={data_dir}", "--batch_size=8",
            "--standing_batches=1", "--standing_batch_size=8", "--sample_every=0",
            "--grid_rows=2", "--grid_columns=2", *extra]


def cli_env(**extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO,
               CUDA_VISIBLE_DEVICES="", **extra)
    return env


def run_cli(argv, timeout=600, **env):
    return subprocess.run(argv, cwd=REPO, env=cli_env(**env), capture_output=True,
                          text=True, timeout=timeout)


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports
