"""The run directory: its layout (every file name), ``model_config.json``,
checkpoints (make, load, rewrite, register, upgrade) and evaluation records.

Imports models only; training, evaluation and export all use it.
"""
from tfbiggan.run.checkpoints import (
    LoadedRun, load_run, make_checkpoint, register_checkpoint, restore,
    rewrite_checkpoint)
from tfbiggan.run.layout import RunDirError, RunLayout
from tfbiggan.run.model_config import (read_history, read_model_config, run_dataset,
                                       write_model_config)
from tfbiggan.run.records import (
    append_eval_record, best_fid, read_best_record, read_eval_log, read_metrics,
    write_best_record)
from tfbiggan.run.standing import store_standing_stats

__all__ = ["LoadedRun", "RunDirError", "RunLayout", "append_eval_record", "best_fid",
           "load_run", "make_checkpoint", "read_best_record", "read_eval_log",
           "read_history", "read_metrics", "read_model_config", "register_checkpoint", "restore",
           "rewrite_checkpoint", "run_dataset", "store_standing_stats",
           "write_best_record", "write_model_config"]
