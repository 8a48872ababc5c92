"""The layout of a run directory: every file name, defined here once.

``model_dir/``
  ``model_config.json``  the model config and every setting of the run (JSON).
  ``checkpoint``, ``ckpt-N.index``, ``ckpt-N.data-*``  tf.train.Checkpoint
      files written by a tf.train.CheckpointManager; N is the training step.
      Objects: ``generator``, ``discriminator``, ``ema_generator``,
      ``g_optimizer``, ``d_optimizer``, ``step`` (int64), and optionally
      ``data_iterator``. Standing batch-norm statistics live inside the (EMA)
      generator's variables. ``ckpt-N-standing`` is ckpt-N with them filled.
  ``best/``  the checkpoint with the best FID so far, same objects, and
      ``best.json`` (its step, checkpoint name and metrics).
  ``eval_log.jsonl``  one JSON object per evaluation (``step`` + metrics).
  ``samples/``  sample grid PNGs (``step_00000250.png``, ``final.png``);
      ``samples.png`` is a copy of the latest.
  ``train/``  TensorBoard event files.
  ``eval/``  default output folder of ``python -m tfbiggan.evaluate``.
"""
import os

from tfbiggan.errors import InputError

CONFIG_FILE = "model_config.json"
CHECKPOINT_TEMP_SUFFIX = "_temp"     # TensorFlow's shard folder during a save
STANDING_SUFFIX = "-standing"
BEST_DIR = "best"
BEST_RECORD = "best.json"
EVAL_LOG = "eval_log.jsonl"
SAMPLES_DIR = "samples"
LATEST_SAMPLES = "samples.png"
FINAL_SAMPLES = "final.png"
SUMMARIES_DIR = "train"
EVAL_DIR = "eval"


class RunDirError(InputError):
    """A run directory (or a checkpoint in it) that cannot be used; the
    message names the file and what to do."""


class RunLayout:
    """The paths of one run directory."""

    def __init__(self, model_dir):
        self.model_dir = os.fspath(model_dir)

    def _path(self, *parts):
        return os.path.join(self.model_dir, *parts)

    @property
    def config_file(self):
        return self._path(CONFIG_FILE)

    @property
    def best_dir(self):
        return self._path(BEST_DIR)

    @property
    def best_record(self):
        return self._path(BEST_DIR, BEST_RECORD)

    @property
    def eval_log(self):
        return self._path(EVAL_LOG)

    @property
    def latest_samples(self):
        return self._path(LATEST_SAMPLES)

    @property
    def summaries_dir(self):
        return self._path(SUMMARIES_DIR)

    @property
    def eval_dir(self):
        return self._path(EVAL_DIR)

    def resolution_grid(self, resolution):
        """``samples/resolution_<R>x<R>.png``: a growing model's grid when its
        R x R training ended."""
        return self._path(SAMPLES_DIR, f"resolution_{int(resolution)}x{int(resolution)}.png")

    def sample_grid(self, step=None):
        """``samples/step_<8 digits>.png``, or ``samples/final.png`` for None."""
        name = FINAL_SAMPLES if step is None else f"step_{int(step):08d}.png"
        return self._path(SAMPLES_DIR, name)
