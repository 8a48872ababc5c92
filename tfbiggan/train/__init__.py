"""Training: flags -> TrainConfig -> TrainingRun.

- ``main``: the absl flags (read here and nowhere else) and the command line;
- ``config``: the frozen TrainConfig, checked once when made;
- ``strategy``: tf.distribute strategies by name;
- ``step``: the Trainer (models, optimizers, the compiled iteration);
- ``ema``: the generator's moving average;
- ``training_run``: the run around it (data, checkpoints, signals, summaries,
  sample grids, evaluation hook); ``monitor``, ``signals``: its helpers.

Run ``python -m tfbiggan.train`` (the digits demo) or pass
``--flagfile=configs/<recipe>.flags``.
"""
from tfbiggan.train.config import ConfigError, TrainConfig
from tfbiggan.train.progan_step import ProGANTrainer
from tfbiggan.train.step import Trainer
from tfbiggan.train.strategy import make_strategy
from tfbiggan.train.faults import NonFiniteLossError, RunWriteError
from tfbiggan.train.training_run import (TrainingRun,
                                         TrainResult)

__all__ = ["ConfigError", "NonFiniteLossError", "ProGANTrainer", "RunWriteError", "TrainConfig",
           "TrainResult", "Trainer", "TrainingRun", "make_strategy"]
