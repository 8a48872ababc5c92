"""Training: flags -> TrainConfig -> TrainingRun.

- ``main``: the absl flags (read here and nowhere else) and the command line;
- ``config``: the frozen TrainConfig, checked once when made;
- ``strategy``: tf.distribute strategies by name;
- ``trainer_base``: what every family's trainer shares, and the interface
  TrainingRun uses; ``step``: BigGAN's Trainer; ``progan_step``: ProGAN's;
- ``schedules``: each family's group of training settings;
- ``ema``: the generator's moving average;
- ``training_run``: the run around it (data, checkpoints, signals, summaries,
  sample grids, evaluation hook); ``monitor``, ``signals``: its helpers.

Run ``python -m tfbiggan.train --flagfile=configs/<recipe>.flags`` (with no
flags at all: the digits demo, ``configs/digits.flags``).
"""
from tfbiggan.train.config import ConfigError, TrainConfig
from tfbiggan.train.step import Trainer
from tfbiggan.train.trainer_base import TrainerBase
from tfbiggan.train.strategy import make_strategy
from tfbiggan.train.faults import NonFiniteLossError, RunWriteError
from tfbiggan.train.training_run import (TrainingRun,
                                         TrainResult)

__all__ = ["ConfigError", "NonFiniteLossError", "RunWriteError", "TrainConfig",
           "TrainResult", "Trainer", "TrainerBase", "TrainingRun", "make_strategy"]
