"""Helpers of the tests that start the command lines (`python -m tfbiggan.train`, ...)."""
import os
import socket
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train_command(model_dir, data_dir, *extra):
    """argv of a tiny CLI training run on the digits."""
    return [sys.executable, "-m", "tfbiggan.train", "--preset=tiny", "--dataset=digits",
            "--num_classes=10",
            f"--model_dir={model_dir}", f"--data_dir={data_dir}", "--batch_size=8",
            "--standing_batches=1", "--standing_batch_size=8", "--sample_every=0",
            "--grid_rows=2", "--grid_columns=2", *extra]


def repo_config(*argv):
    """The TrainConfig of a training command line parsed in the repository
    root, where flagfiles nest each other by relative paths
    (``--flagfile=configs/digits_base.flags``)."""
    from tfbiggan.train.main import config_from_argv
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return config_from_argv(list(argv))
    finally:
        os.chdir(cwd)


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


def snapshot(*folders):
    """{path: sha256} of every file under the folders (or files) that exist."""
    import hashlib
    digests = {}
    for folder in folders:
        paths = [folder] if os.path.isfile(folder) else [
            os.path.join(root, name) for root, _, names in os.walk(folder) for name in names]
        for path in paths:
            with open(path, "rb") as f:
                digests[path] = hashlib.sha256(f.read()).hexdigest()
    return digests


def error_lines(output):
    """The lines of a command's output that start with ``error:``."""
    return [line for line in output.splitlines() if line.startswith("error:")]


COMMANDS = {"tfbiggan.train": "tfbiggan.train.main", "tfbiggan.evaluate": "tfbiggan.evaluate.cli",
            "tfbiggan.summary": "tfbiggan.summary", "hub_export.export": "hub_export.export",
            "hub_export.import_weights": "hub_export.import_weights",
            "hub_export.tflite": "hub_export.tflite", "hub_export.tfjs": "hub_export.tfjs",
            "hub_export.web": "hub_export.web.__main__"}


def command_of(argv):
    """The ``tfbiggan.cli.Command`` that ``argv`` (``[python, -m, module, ...]``) runs."""
    import importlib
    start = argv.index(sys.executable)  # after a wrapper such as unshare
    module = argv[argv.index("-m", start) + 1]
    return importlib.import_module(COMMANDS[module]).COMMAND


def suggested_flags(line):
    """The ``--flag`` names a message line mentions."""
    import re
    return set(re.findall(r"(?<![\w-])--([a-z][a-z0-9_]*)(?![\w-])", line))


def assert_flags_exist(line, command):
    """Every --flag in ``line`` is a flag of ``command`` (absl's --noflag too)."""
    unknown = {f for f in suggested_flags(line) if f not in command.flag_names()
               and not (f.startswith("no") and f[2:] in command.flag_names())}
    assert not unknown, f"{command.name} has no flag(s) {sorted(unknown)}: {line}"


def read_only_argv(argv, folder):
    """``argv`` run with ``folder`` mounted read-only (a private mount
    namespace, as root), or None where that is impossible here."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, folder, *argv]


def small_disk_argv(argv, folder, size="1m"):
    """``argv`` run with a ``size`` tmpfs mounted on ``folder`` (private mount
    namespace, as root): a real ENOSPC when it fills."""
    script = f'mount -t tmpfs -o size={size} tmpfs "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, folder, *argv]


def private_mounts_work():
    """Whether this process may make private mount namespaces (root here)."""
    if os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


def run_and_check_error(argv, code, message):
    """Runs a command line; asserts its exit code, exactly one ``error:`` line
    matching ``message``, no traceback and only real ``--flags`` in it;
    returns the line."""
    import re
    result = run_cli(argv, timeout=300)
    output = result.stderr + result.stdout
    assert result.returncode == code, output[-3000:]
    errors = error_lines(output)
    assert len(errors) == 1, output[-3000:]
    assert re.search(message, errors[0]), errors
    assert "Traceback" not in output, output[-3000:]
    assert_flags_exist(errors[0], command_of(argv))
    _log_case(code, errors[0])
    return errors[0]


def _log_case(code, line):
    """With $TFBIGGAN_CASE_LOG set, appends the case (the test running, the
    exit code, the error line) to that file as a JSON line: the table of a
    closing note is made from a real run of the tests."""
    path = os.environ.get("TFBIGGAN_CASE_LOG")
    if path:
        import json
        with open(path, "a", encoding="utf-8") as f:
            test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
            f.write(json.dumps({"test": test,
                                "code": code, "line": line}) + "\n")
