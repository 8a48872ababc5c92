"""What a resumed run may change, and how its data position comes back.

A run's ``model_config.json`` says how its checkpoints were made. When
``python -m tfbiggan.train`` resumes a run whose latest checkpoint was made
with other training settings (a loss, a learning rate, the batch, the data),
it refuses by default and lists every difference. ``--allow_setting_changes``
accepts them: the run continues with the new settings, the console says so,
and ``model_config.json`` records the change as a history entry (step, old
and new values) with the first checkpoint the new settings write.

Settings that only say how long, where, or how visibly a run trains
(``FREE_SETTINGS``: the step count, the strategy, logging, sampling,
evaluation, the data's location) may change without it. The model itself
never may: its checkpoint would not fit.

The position in the training data comes back in one of three ways
(``DataResume``): the data iterator's own checkpoint (one or several local
devices, the same settings), else skipping the examples the run has already
drawn (multi-worker and TPU runs, whose distributed iterators TensorFlow
cannot checkpoint, or a changed batch or strategy), else a fresh stream when
the data itself changed. A checkpoint holds both numbers: ``data_position``,
the examples drawn so far, and ``data_skip``, where the stream of the
current stretch of training started; an iterator's saved state only fits a
pipeline that skips as many.
"""
import dataclasses
import enum
import json
import time
from typing import Optional

import tensorflow as tf

from tfbiggan.run import RunLayout, read_history, read_model_config
from tfbiggan.run.checkpoints import unreadable_checkpoint_error
from tfbiggan.train.config import ConfigError

# Settings that do not change how the checkpoints are made.
FREE_SETTINGS = frozenset({
    "num_steps", "strategy", "tpu", "jit_compile", "deterministic",
    "save_every", "keep_checkpoints", "checkpoint_data_iterator", "log_every",
    "sample_every", "grid_columns", "grid_rows", "standing_batches",
    "standing_batch_size", "eval_every", "eval_num_samples", "eval_extractor",
    "eval_cache_dir", "schedule.eval_each_resolution", "singular_values_every",
    "data.data_dir", "data.manual_dir", "preset", "model_dir"})
# Settings that decide which examples the data stream yields, in which order.
STREAM_SETTINGS = frozenset({"data.name", "data.split", "data.folder",
                             "data.shuffle_buffer", "data.skip_bad_images", "seed"})
# Settings whose change leaves the stream but not the iterator's saved state.
ITERATOR_SETTINGS = frozenset({"batch_size", "num_accumulations",
                               "schedule.level_batch_sizes", "strategy",
                               "checkpoint_data_iterator"})
# The checkpoint object that counts the examples drawn so far (all replicas).
DATA_POSITION = "data_position"
DATA_SKIP = "data_skip"
ITERATOR_STRATEGIES = ("default", "mirrored")


class DataResume(enum.Enum):
    ITERATOR = "the data iterator's saved state"
    SKIP = "skipping the examples already drawn"
    FRESH = "a fresh data stream"


def _flat(settings, prefix=""):
    out = {}
    for key, value in settings.items():
        if key == "model" and not prefix:
            continue
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = json.loads(json.dumps(value))  # tuples -> lists
    return out


def _grouped(saved, requested):
    """``saved`` with the schedule settings that records before 0.2 kept at
    the top level moved into its ``schedule`` group."""
    group = requested.get("schedule") or {}
    if "schedule" in saved or not any(name in saved for name in group):
        return saved
    saved = dict(saved)
    saved["schedule"] = {name: saved.pop(name) for name in group if name in saved}
    return saved


def setting_changes(saved, requested):
    """{name: (saved value, requested value)} of the settings that differ.

    Both are ``TrainConfig.to_dict()`` dicts (the model is compared apart).
    A setting the saved record lacks (written by an older version) is not
    compared.
    """
    old, new = _flat(_grouped(saved, requested)), _flat(requested)
    return {name: (old[name], value) for name, value in sorted(new.items())
            if name in old and old[name] != value}


def model_changes(saved, requested):
    """{field: (saved, requested)} of two model configs of one family."""
    old, new = saved.to_dict(), requested.to_dict()
    return {k: (v, new.get(k)) for k, v in old.items() if new.get(k) != v}


def _flag(name):
    return "--" + name.split(".")[-1]


def describe(changes):
    """``--loss hinge -> wasserstein, --g_lr 0.001 -> 0.0005``."""
    return ", ".join(f"{_flag(n)} {a!r} -> {b!r}" for n, (a, b) in changes.items())


@dataclasses.dataclass(frozen=True)
class ResumePlan:
    """How a run in ``model_dir`` starts.

    Attributes:
      checkpoint: the latest checkpoint (None for a fresh run).
      step: its step (0 for a fresh run).
      changes: accepted setting changes {name: (old, new)}.
      history: the history entries already recorded.
      data: how the data position comes back (DataResume).
      skip: examples (all replicas together) the rebuilt stream skips: those
        drawn before ``step`` (SKIP), or as many as the saved iterator's
        stream skipped (ITERATOR), or 0.
    """
    checkpoint: Optional[str] = None
    step: int = 0
    changes: dict = dataclasses.field(default_factory=dict)
    history: tuple = ()
    data: DataResume = DataResume.FRESH
    skip: int = 0

    @property
    def fresh(self):
        return self.checkpoint is None

    def history_entry(self):
        """The history entry for this resume's changes (None without any)."""
        if not self.changes:
            return None
        return {"step": self.step,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "changes": {n: {"from": a, "to": b} for n, (a, b) in self.changes.items()}}


def _checkpoint_step(path):
    return int(path.rsplit("-", 1)[1])


def _saved(reader, name):
    """An int64 variable of a checkpoint, None if it predates it."""
    key = f"{name}/.ATTRIBUTES/VARIABLE_VALUE"
    return int(reader.get_tensor(key)) if reader.has_tensor(key) else None


def plan_resume(model_dir, config, allow_setting_changes=False):
    """The ResumePlan of training ``config`` into ``model_dir``.

    Raises:
      ConfigError: ``model_dir`` holds another model, or its latest
        checkpoint was made with other training settings and
        ``allow_setting_changes`` is False. Nothing is written.
    """
    latest = tf.train.latest_checkpoint(model_dir)
    if not tf.io.gfile.exists(RunLayout(model_dir).config_file):
        # No record to compare with (checkpoints written by a library caller).
        if latest is None:
            return ResumePlan()
        data, skip = _data_resume_or_error(latest, config, {})
        return ResumePlan(latest, _checkpoint_step(latest), data=data, skip=skip)
    saved_model, saved = read_model_config(model_dir)
    changed = (model_changes(saved_model, config.model)
               if type(saved_model) is type(config.model) else
               {"architecture": (saved_model.architecture, config.model.architecture)})
    if changed:
        details = ", ".join(f"{k}: saved {a!r} vs requested {b!r}"
                            for k, (a, b) in changed.items())
        raise ConfigError(
            f"{model_dir!r} holds a run of a different model ({details}). Use "
            "another --model_dir, or the flags of that run to resume it.")
    if latest is None:  # nothing was made with the recorded settings yet
        return ResumePlan()
    step = _checkpoint_step(latest)
    changes = setting_changes(saved, config.to_dict())
    binding = {n: c for n, c in changes.items() if n not in FREE_SETTINGS}
    if binding and not allow_setting_changes:
        raise ConfigError(
            f"{model_dir} was trained to step {step} with other settings: "
            + ", ".join(f"{_flag(n)} {a!r} (now {b!r})" for n, (a, b) in binding.items())
            + ". Resume with the run's own settings, train into another --model_dir, "
            "or pass --allow_setting_changes to continue with the new ones (recorded "
            "in its model_config.json).")
    data, skip = _data_resume_or_error(latest, config, changes)
    return ResumePlan(latest, step, binding, tuple(read_history(model_dir)), data, skip)


def _data_resume_or_error(latest, config, changes):
    try:
        return _data_resume(latest, config, changes)
    except Exception as error:  # TF's reader raises many types for a damaged index
        raise unreadable_checkpoint_error(latest, error) from None


def _data_resume(latest, config, changes):
    """(DataResume, skip) for resuming from ``latest`` with ``changes``."""
    if STREAM_SETTINGS & set(changes):
        return DataResume.FRESH, 0
    reader = tf.train.load_checkpoint(latest)
    if (reader.has_tensor("data_iterator/.ATTRIBUTES/ITERATOR_STATE")
            and config.checkpoint_data_iterator
            and config.strategy in ITERATOR_STRATEGIES
            and not ITERATOR_SETTINGS & set(changes)):
        return DataResume.ITERATOR, _saved(reader, DATA_SKIP) or 0
    position = _saved(reader, DATA_POSITION)
    if position is None:  # written before the position was recorded
        return DataResume.FRESH, 0
    return DataResume.SKIP, position
