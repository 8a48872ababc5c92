"""Writing files so that a crash never leaves half of one behind.

Every run file that is replaced (``model_config.json``, ``best/best.json``,
``samples.png``, evaluation JSON and PNG outputs) is written to a temporary
name in the same folder and renamed over the target, which is atomic on one
filesystem. Paths may be local or any tf.io.gfile scheme (gs://, ...).
"""
import json
import os

import numpy as np
import tensorflow as tf


def atomic_write(path, data):
    """Writes ``data`` (str or bytes) to ``path`` via a temporary file + rename."""
    folder = os.path.dirname(path)
    if folder:
        tf.io.gfile.makedirs(folder)
    tmp = f"{path}.tmp-{os.getpid()}"
    with tf.io.gfile.GFile(tmp, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    tf.io.gfile.rename(tmp, path, overwrite=True)
    return path


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Not JSON serialisable: {type(value).__name__}")


def write_json(path, payload):
    """``payload`` as indented, key-sorted JSON (numpy values allowed), atomically."""
    return atomic_write(path, json.dumps(payload, indent=2, sort_keys=True,
                                         default=_json_default) + "\n")


def append_line(path, line):
    """Appends one line with a single write, so a crash cuts no line in half
    on a local filesystem."""
    with tf.io.gfile.GFile(path, "a") as f:
        f.write(line.rstrip("\n") + "\n")
