"""Training: flags -> TrainConfig -> TrainingRun (strategy, loop, EMA,
checkpoints, summaries, samples, evaluation hook).

Run ``python -m tfbiggan.train`` (the digits demo) or pass
``--flagfile=configs/<recipe>.flags``.
"""
from tfbiggan.train.config import ConfigError, TrainConfig
from tfbiggan.train.loop import NonFiniteLossError, Trainer, TrainingRun, TrainResult
from tfbiggan.train.strategy import make_strategy

__all__ = ["ConfigError", "NonFiniteLossError", "TrainConfig", "TrainResult",
           "Trainer", "TrainingRun", "make_strategy"]
