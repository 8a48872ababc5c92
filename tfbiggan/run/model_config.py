"""``model_config.json``: the model config and the settings that shaped a run."""
import json

import tensorflow as tf

from tfbiggan.families import FAMILIES
from tfbiggan.run.files import write_json
from tfbiggan.run.layout import RunDirError, RunLayout


def write_model_config(model_dir, config, settings=None, history=()):
    """Writes ``model_config.json`` atomically; returns its path.

    Args:
      config: the model's config (BigGANConfig or ProGANConfig).
      settings: JSON-able dict of everything else that shaped the run (the
        training script passes its whole TrainConfig).
      history: the settings changes accepted when the run resumed (each
        ``{"step": N, "changes": {name: {"from": a, "to": b}}, "time": ...}``),
        oldest first; ``settings`` holds the values after the last one.
    """
    payload = {"model": config.to_dict(), "settings": settings or {}}
    if history:
        payload["history"] = list(history)
    return write_json(RunLayout(model_dir).config_file, payload)


def read_model_config(model_dir):
    """(model config of its family, settings dict) from ``model_dir/model_config.json``.

    Raises:
      FileNotFoundError: not a run directory.
      RunDirError: the file is damaged.
    """
    payload = _read(model_dir)
    try:
        return FAMILIES.config_from_dict(payload["model"]), payload.get("settings", {})
    except (ValueError, KeyError, TypeError) as error:
        raise _damaged(RunLayout(model_dir).config_file, error) from None


def read_history(model_dir):
    """The settings changes recorded in ``model_config.json`` (oldest first)."""
    history = _read(model_dir).get("history", [])
    if not isinstance(history, list):
        raise _damaged(RunLayout(model_dir).config_file,
                       TypeError("'history' is not a list"))
    return history


def _read(model_dir):
    path = RunLayout(model_dir).config_file
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(
            f"{path} not found: {model_dir!r} is not a tfbiggan training directory "
            "(train one with `python -m tfbiggan.train --model_dir=...`).")
    try:
        with tf.io.gfile.GFile(path) as f:
            payload = json.load(f)
    except (ValueError, UnicodeDecodeError) as error:
        raise _damaged(path, error) from None
    if not isinstance(payload, dict):
        raise _damaged(path, TypeError("the file does not hold a JSON object"))
    return payload


def _damaged(path, error):
    return RunDirError(
        f"{path} is damaged ({type(error).__name__}: {' '.join(str(error).split())}); it "
        "was not written by tfbiggan or was edited. Restore it from a copy, or train "
        "into another --model_dir.")


def run_dataset(settings):
    """The dataset name a run's settings record (``TrainConfig.to_dict()``)."""
    data = settings.get("data")
    if isinstance(data, dict) and data.get("name"):
        return data["name"]
    return settings.get("dataset")
