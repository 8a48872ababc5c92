"""The on-disk layout of a training run, shared by training, evaluation and export.

``model_dir/``
  ``model_config.json``  the BigGANConfig plus the run's settings (JSON).
  ``ckpt-N.*``, ``checkpoint``  tf.train.Checkpoint files, written by a
      tf.train.CheckpointManager. Objects: ``generator``, ``discriminator``,
      ``ema_generator``, ``g_optimizer``, ``d_optimizer``, ``step`` (int64), and
      optionally ``data_iterator``. Standing batch-norm statistics live inside
      the (EMA) generator's variables.
  ``best/``  the checkpoint with the best FID so far, same objects.
"""
import dataclasses
import json
import os
from typing import Optional

import tensorflow as tf

from tfbiggan.models import BigGANConfig, Discriminator, Generator

CONFIG_FILE = "model_config.json"


class RunDirError(ValueError):
    """A run directory (or a checkpoint in it) that cannot be used; the
    message names the file and what to do."""


def write_model_config(model_dir, config, settings=None):
    """Writes ``model_config.json`` atomically (temp file, then rename)."""
    tf.io.gfile.makedirs(model_dir)
    path = os.path.join(model_dir, CONFIG_FILE)
    payload = {"model": config.to_dict(), "settings": settings or {}}
    tmp = path + ".tmp"
    with tf.io.gfile.GFile(tmp, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
    tf.io.gfile.rename(tmp, path, overwrite=True)
    return path


def read_model_config(model_dir):
    """(BigGANConfig, settings dict) from ``model_dir/model_config.json``."""
    path = os.path.join(model_dir, CONFIG_FILE)
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(
            f"{path} not found: {model_dir!r} is not a tfbiggan training directory "
            "(train one with `python -m tfbiggan.train --model_dir=...`).")
    try:
        with tf.io.gfile.GFile(path) as f:
            payload = json.load(f)
        return BigGANConfig.from_dict(payload["model"]), payload.get("settings", {})
    except (ValueError, KeyError, TypeError) as error:
        raise RunDirError(
            f"{path} is damaged ({type(error).__name__}: {error}); it was not written "
            "by tfbiggan or was edited. Restore it from a copy, or train into another "
            "--model_dir.") from None


def unreadable_checkpoint_error(path, error):
    """RunDirError for a checkpoint that does not restore."""
    reason = (getattr(error, "message", None) or str(error)).strip().splitlines()[0]
    return RunDirError(
        f"Checkpoint {path} cannot be read ({type(error).__name__}: {reason[:200]}). "
        "Its files are damaged or belong to another model; move them aside (and "
        "their line in the folder's `checkpoint` file) to use the previous one, or "
        "pick one with --checkpoint.")


def make_checkpoint(generator, discriminator, ema_generator=None, g_optimizer=None,
                    d_optimizer=None, step=None, **extra):
    """A tf.train.Checkpoint over the objects that are given (None ones skipped)."""
    objects = dict(generator=generator, discriminator=discriminator,
                   ema_generator=ema_generator, g_optimizer=g_optimizer,
                   d_optimizer=d_optimizer, step=step, **extra)
    return tf.train.Checkpoint(**{k: v for k, v in objects.items() if v is not None})


@dataclasses.dataclass
class LoadedRun:
    config: BigGANConfig
    settings: dict
    generator: Generator
    ema_generator: Generator
    discriminator: Discriminator
    step: int
    path: Optional[str]


def load_run(model_dir, checkpoint_path=None, allow_untrained=False):
    """Builds the models of a run and restores its weights for inference.

    Args:
      model_dir: the training directory.
      checkpoint_path: a specific ``ckpt-N`` prefix; default the latest.
      allow_untrained: if no checkpoint exists, return freshly initialised
        models (step 0) instead of raising.
    """
    config, settings = read_model_config(model_dir)
    generator, ema, disc = Generator(config), Generator(config), Discriminator(config)
    for model in (generator, ema, disc):
        model.build()
    step = tf.Variable(0, dtype=tf.int64)
    path = checkpoint_path or tf.train.latest_checkpoint(model_dir)
    if path is None:
        if not allow_untrained:
            raise FileNotFoundError(
                f"No checkpoint in {model_dir!r}; train first, or pass a ckpt-N path.")
    else:
        ckpt = make_checkpoint(generator, disc, ema_generator=ema, step=step)
        try:
            ckpt.read(path).expect_partial().assert_existing_objects_matched()
        except Exception as error:  # TF's reader raises many types for a bad file
            raise unreadable_checkpoint_error(path, error) from None
    return LoadedRun(config, settings, generator, ema, disc, int(step.numpy()), path)
