"""Checkpoints of a run: making, loading, rewriting and registering them.

A run's checkpoints are tf.train.Checkpoint files over the objects listed in
``tfbiggan.run.layout``. ``load_run`` builds the models of a run for inference
and restores them; ``rewrite_checkpoint`` copies a checkpoint bit for bit
except for the variables of some objects (how standing statistics are written
back without touching optimizers, step or data iterator).
"""
import dataclasses
import os
import tempfile
import time
from typing import Optional

import tensorflow as tf

from tfbiggan.errors import plain_reason
from tfbiggan.families import FAMILIES
from tfbiggan.run.layout import CHECKPOINT_TEMP_SUFFIX, RunDirError
from tfbiggan.run.legacy import upgrade_if_legacy
from tfbiggan.run.model_config import read_model_config
from tfbiggan.run.tensor_io import read_all_tensors, write_tensors


def make_checkpoint(generator, discriminator, ema_generator=None, g_optimizer=None,
                    d_optimizer=None, step=None, **extra):
    """A tf.train.Checkpoint over the objects that are given (None ones skipped)."""
    objects = dict(generator=generator, discriminator=discriminator,
                   ema_generator=ema_generator, g_optimizer=g_optimizer,
                   d_optimizer=d_optimizer, step=step, **extra)
    return tf.train.Checkpoint(**{k: v for k, v in objects.items() if v is not None})


def unreadable_checkpoint_error(path, error):
    """RunDirError for a checkpoint that does not restore."""
    return RunDirError(
        f"checkpoint {path} cannot be read ({type(error).__name__}: "
        f"{plain_reason(error)}). Its files are damaged or belong to another model; "
        "move them aside, with their line in the folder's `checkpoint` file, and the "
        "previous checkpoint is used.")


def restore(checkpoint, path):
    """``checkpoint.restore(path)``; RunDirError naming the file if it fails.

    Checkpoints written before the layer renames of tfbiggan 0.2 are upgraded
    in place first (``tfbiggan.run.legacy``).
    """
    try:
        upgrade_if_legacy(path)
        return checkpoint.restore(path)
    except RunDirError:
        raise
    except Exception as error:  # TF's reader raises many types for a bad file
        raise unreadable_checkpoint_error(path, error) from None


def remove_stale_checkpoint_temps(folder, log):
    """Deletes ``ckpt-N_temp`` folders that a killed save left behind.

    TensorFlow writes a checkpoint's shards there, then merges them into
    ``ckpt-N.*``; a process killed in between leaves the folder, which no
    checkpoint refers to.
    """
    for path in tf.io.gfile.glob(os.path.join(folder, f"*{CHECKPOINT_TEMP_SUFFIX}")):
        if tf.io.gfile.isdir(path):
            tf.io.gfile.rmtree(path)
            log(f"Removed {path}, left by an interrupted checkpoint write.")


@dataclasses.dataclass
class LoadedRun:
    config: object           # a model config of a registered family
    settings: dict
    generator: object        # the family's generator and discriminator
    ema_generator: object
    discriminator: object
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
    path = checkpoint_path or tf.train.latest_checkpoint(model_dir)
    if path is None and not allow_untrained:  # before the models are built
        raise FileNotFoundError(
            f"No checkpoint in {model_dir!r}; train first, or pass a ckpt-N path.")
    generator, ema = FAMILIES.build_generator(config), FAMILIES.build_generator(config)
    disc = FAMILIES.build_discriminator(config)
    for model in (generator, ema, disc):
        model.build()
    step = tf.Variable(0, dtype=tf.int64)
    if path is not None:
        status = restore(make_checkpoint(generator, disc, ema_generator=ema, step=step),
                         path)
        try:
            status.expect_partial().assert_existing_objects_matched()
        except AssertionError as error:
            raise unreadable_checkpoint_error(path, error) from None
    return LoadedRun(config, settings, generator, ema, disc, int(step.numpy()), path)


def rewrite_checkpoint(source_prefix, objects, target_prefix):
    """Copies a checkpoint, replacing the variables of `objects`.

    Every tensor of `source_prefix` (optimizer slots and iterations, the data
    iterator, the step, save_counter, the object graph itself) is copied
    unchanged, except those that `tf.train.Checkpoint(**objects)` would save,
    which take the objects' current values. The result restores with the same
    `make_checkpoint` layout as the source, so training can resume from it
    with its optimizers intact.

    Args:
      source_prefix: an existing checkpoint prefix (".../ckpt-N").
      objects: {checkpoint attribute name: trackable}, e.g.
        {"ema_generator": ema}; their variables must all exist in the source
        with the same shapes and dtypes.
      target_prefix: the prefix to write (".index" and ".data-*" files); may
        equal `source_prefix`.

    Returns:
      the number of tensors replaced.
    """
    source = tf.train.load_checkpoint(source_prefix)
    dtypes = source.get_variable_to_dtype_map()
    shapes = source.get_variable_to_shape_map()
    with tempfile.TemporaryDirectory() as tmp:
        written = tf.train.Checkpoint(**objects).write(os.path.join(tmp, "objects"))
        update = tf.train.load_checkpoint(written)
        new_shapes = update.get_variable_to_shape_map()
        prefixes = tuple(f"{name}/" for name in objects)
        replaced = {}
        for key, dtype in update.get_variable_to_dtype_map().items():
            if not key.startswith(prefixes):
                continue
            if key not in dtypes:
                raise ValueError(
                    f"'{key}' is not in {source_prefix}: the objects do not "
                    "match the checkpoint's layout.")
            if dtypes[key] != dtype or list(shapes[key]) != list(new_shapes[key]):
                raise ValueError(
                    f"'{key}' differs in dtype or shape from {source_prefix}.")
            replaced[key] = tf.constant(update.get_tensor(key), dtype)
    if not replaced:
        raise ValueError(f"None of {sorted(objects)} is in {source_prefix}.")
    tensors, _ = read_all_tensors(source_prefix)
    tensors.update(replaced)
    write_tensors(tensors, target_prefix)
    return len(replaced)


def register_checkpoint(folder, source_name, name):
    """Lists checkpoint `name` in `folder`'s state file right after its source.

    It becomes the latest only if the source was the latest, so a resumed
    training never goes back to an older step.
    """
    state = tf.train.get_checkpoint_state(folder)
    known = [os.path.basename(p) for p in state.all_model_checkpoint_paths] if state else []
    stamps = list(state.all_model_checkpoint_timestamps) if state else []
    latest = os.path.basename(state.model_checkpoint_path) if state else source_name
    if len(stamps) != len(known):
        stamps = [time.time()] * len(known)
    entries = list(zip(known, stamps))
    if name not in known:
        at = known.index(source_name) + 1 if source_name in known else len(known)
        entries.insert(at, (name, time.time()))
    if latest == source_name:
        latest = name
    tf.compat.v1.train.update_checkpoint_state(
        folder, latest, all_model_checkpoint_paths=[n for n, _ in entries],
        all_model_checkpoint_timestamps=[t for _, t in entries])
