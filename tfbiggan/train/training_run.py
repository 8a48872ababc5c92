"""The run around the training step: data, checkpoints, signals, summaries,
sample grids and the evaluation hook, in one model directory.

Sample grids come from the EMA generator on fixed z (truncnorm(-2, 2)) and one
row per class: during training with the moving statistics (``truncation=None``),
at the end with the standing statistics at truncation 1.0. A growing run
(a trainer whose ``finished_level()`` reports stages, such as Progressive
GAN's) also writes one grid per resolution when that resolution's training
ends (``samples/resolution_RxR.png``).

The trainer is the model family's (``tfbiggan.families``), used only through
the interface of ``tfbiggan.train.trainer_base.TrainerBase``.
"""
import dataclasses
import math
import os
import time
from typing import Callable, Optional

import tensorflow as tf

from tfbiggan.data.pipeline import make_train_dataset, open_source
from tfbiggan.errors import plain_reason
from tfbiggan.evaluate.png import make_grid, save_image_grid
from tfbiggan.models import accumulate_standing_stats, has_standing_stats
from tfbiggan.paths import PathError
from tfbiggan.progress import format_duration
from tfbiggan.run import (RunLayout, append_eval_record, best_fid, make_checkpoint,
                          restore, write_best_record, write_model_config)
from tfbiggan.run.checkpoints import remove_stale_checkpoint_temps
from tfbiggan.run.files import atomic_write
from tfbiggan.train import monitor
from tfbiggan.train.cluster import Preempted, Preemption, cluster_failure, is_cluster_failure
from tfbiggan.train.faults import checkpoint_write_error, non_finite_loss
from tfbiggan.train.resume import (DATA_POSITION, DATA_SKIP, ITERATOR_STRATEGIES, DataResume,
                                   describe, plan_resume)
from tfbiggan.train.signals import StopSignals
from tfbiggan.train.strategy import is_chief, task_id

EvalHook = Callable[[int, object], dict]  # (step, generator) -> metrics


@dataclasses.dataclass
class TrainResult:
    step: int
    metrics: dict
    stopped_by: Optional[str]
    checkpoint: Optional[str]
    grid_path: Optional[str]


class TrainingRun:
    """A Trainer bound to a model directory: data, checkpoints, logs, eval.

    Args:
      config: TrainConfig.
      strategy: tf.distribute.Strategy.
      model_dir: the run directory (layout in ``tfbiggan.run.layout``).
      eval_hook: optional callable(step, ema_generator) -> {name: float}.
      dataset_fn: optional callable(tf.distribute.InputContext) -> dataset of
        per-replica (images, y) batches; default reads ``data``.
      data: the opened ``config.data`` (``tfbiggan.data.pipeline.open_source``);
        opened here when None and no dataset_fn is given.
      log: callable(str) for console lines.
      resume: the ``tfbiggan.train.resume.ResumePlan`` of this run; planned
        here (setting changes refused) when None.
    """

    def __init__(self, config, strategy, model_dir, eval_hook=None,
                 dataset_fn=None, data=None, log=None, resume=None):
        self.config = config
        self.strategy = strategy
        self.model_dir = model_dir
        self.layout = RunLayout(model_dir)
        self.eval_hook = eval_hook
        self.log = log or (lambda message: print(message, flush=True))
        self.chief = is_chief(strategy)
        self.multiworker = config.strategy == "multiworker"
        self.resume = resume or plan_resume(model_dir, config)
        self.trainer = config.family.load_trainer()(config, strategy, log=self.log)
        if config.jit_compile:
            self.trainer.enable_jit()
        # Real examples drawn so far (all replicas): how a resume that cannot
        # restore the iterator's state finds its place in the data stream;
        # and where this stretch's stream started (tfbiggan.train.resume).
        self.data_position = tf.Variable(0, dtype=tf.int64, trainable=False,
                                         name=DATA_POSITION)
        self.data_skip = tf.Variable(0, dtype=tf.int64, trainable=False, name=DATA_SKIP)
        self._pending_history = None  # a record to write with the next checkpoint
        if dataset_fn is None:
            self.data = data or open_source(config.data)
            dataset_fn = self._default_dataset_fn
        self.dataset_fn = dataset_fn
        self.dataset = strategy.distribute_datasets_from_function(self.dataset_fn)
        self.iterator = iter(self.dataset)
        self._make_checkpointing()
        z, y, self.grid_rows = monitor.fixed_grid_inputs(
            config.model, config.grid_rows, config.grid_columns, config.seed)
        self.grid_z, self.grid_y = tf.constant(z), tf.constant(y)
        self._writer = None
        self.best_fid = best_fid(model_dir)

    @property
    def writer(self):
        """The TensorBoard writer, created on first use: a run that fails to
        resume leaves no new file behind."""
        if self._writer is None:
            self._writer = (tf.summary.create_file_writer(self.layout.summaries_dir)
                            if self.chief else tf.summary.create_noop_writer())
        return self._writer

    def _default_dataset_fn(self, input_context):
        cfg = self.config
        batch = input_context.get_per_replica_batch_size(cfg.micro_batch())
        return make_train_dataset(
            self.data, cfg.model.resolution, cfg.model.num_classes, batch, seed=cfg.seed,
            input_context=input_context,
            skip_examples=self.resume.skip // input_context.num_input_pipelines)

    # --- checkpoints ---------------------------------------------------------

    def _make_checkpointing(self):
        t, cfg = self.trainer, self.config
        iterator = cfg.checkpoint_data_iterator and cfg.strategy in ITERATOR_STRATEGIES
        self._objects = dict(t.checkpoint_objects(), data_position=self.data_position,
                             data_skip=self.data_skip)
        extra = {"data_iterator": self.iterator} if iterator else {}
        self.checkpoint = make_checkpoint(**self._objects, **extra)
        # Under multi-worker every worker saves (saving may need collectives),
        # but only the chief writes into model_dir.
        self.write_dir = (self.model_dir if self.chief else os.path.join(
            self.model_dir, f".worker{task_id(self.strategy)}_tmp"))
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, self.write_dir, max_to_keep=cfg.keep_checkpoints,
            step_counter=t.step)

    def restore(self):
        """Restores the planned checkpoint, if any; returns its path.

        The data iterator's state is restored only when the plan says it
        fits (``tfbiggan.train.resume``); otherwise the data stream skips
        the examples already drawn, or starts afresh when the data changed.
        """
        plan = self.resume
        if plan.fresh:
            return None
        with_iterator = plan.data is DataResume.ITERATOR
        restore(self.checkpoint if with_iterator else make_checkpoint(**self._objects),
                plan.checkpoint).expect_partial()
        if plan.data is DataResume.FRESH:
            self.data_position.assign(0)
        self.data_skip.assign(plan.skip)
        how = plan.data.value + (f" ({plan.skip} examples)"
                                 if plan.data is DataResume.SKIP else "")
        self.log(f"Resumed from {plan.checkpoint} at step {int(self.trainer.step.numpy())}; "
                 f"the data continues from {how}.")
        if plan.changes:
            self.log(f"Settings changed at step {plan.step} (--allow_setting_changes): "
                     f"{describe(plan.changes)}. model_config.json records them with "
                     "the next checkpoint.")
        return plan.checkpoint

    def _write_record(self, history=()):
        try:
            write_model_config(self.model_dir, self.config.model,
                               settings=self.config.to_dict(), history=history)
        except (tf.errors.OpError, OSError) as error:
            raise PathError(f"--model_dir={self.model_dir} cannot be written: "
                            f"{plain_reason(error)}. Choose a --model_dir on a writable "
                            "disk.") from None

    def save(self):
        """Writes ``ckpt-<step>``; RunWriteError (naming the last intact
        checkpoint) when it cannot be written."""
        step = int(self.trainer.step.numpy())
        try:
            path = self.manager.save(checkpoint_number=step)
        except (tf.errors.OpError, OSError) as error:
            if self.multiworker and is_cluster_failure(error):
                raise
            remove_stale_checkpoint_temps(self.write_dir, self.log)
            raise checkpoint_write_error(step, self.write_dir, error,
                                         tf.train.latest_checkpoint(self.model_dir)) from None
        if not self.chief:
            tf.io.gfile.rmtree(self.write_dir)
            return None
        if self._pending_history is not None:  # the first checkpoint of new settings
            self._write_record(self._pending_history)
            self._pending_history = None
        return path

    # --- outputs -------------------------------------------------------------

    def write_grid(self, step, truncation=None, final=False, level=None):
        """Writes the EMA sample grid PNG and ``samples.png`` (chief only);
        with ``level`` (a growing run), the grid of that resolution instead."""
        if not self.chief:
            return None
        if level is None:
            images = self.trainer.sample(self.grid_z, self.grid_y, truncation)
            path = self.layout.sample_grid(None if final else step)
        else:
            images = self.trainer.sample_level(self.grid_z, self.grid_y, level)
            path = self.layout.resolution_grid(int(images.shape[1]))
        scale = max(1, 96 // int(images.shape[1]))
        path = save_image_grid(images, path, self.grid_rows, scale=scale)
        if level is None:
            with tf.io.gfile.GFile(path, "rb") as f:
                atomic_write(self.layout.latest_samples, f.read())
        tag = ("samples/ema_final" if final else "samples/ema" if level is None
               else f"samples/ema_{images.shape[1]}x{images.shape[1]}")
        with self.writer.as_default(step=step):
            tf.summary.image(tag, make_grid(images, self.grid_rows)[None], step=step)
        return path

    def _log_scalars(self, step, values):
        with self.writer.as_default(step=step):
            for key, value in values.items():
                tf.summary.scalar(key, value, step=step)

    def _report(self, step, metrics, clock):
        rate, eta = clock.report(step)
        self.log(monitor.step_line(step, self.config.num_steps, metrics, rate, eta,
                                   self.trainer.position(metrics)))
        scalars = monitor.step_scalars(metrics, rate)
        if self.chief:
            scalars.update(self.trainer.monitored_scalars())
        self._log_scalars(step, scalars)

    def run_eval(self, step, level=None):
        """Calls the eval hook (chief only) and records its results; with
        ``level`` (a growing run), on that level's images, upsampled."""
        if self.eval_hook is None or not self.chief:
            return None
        start = time.time()
        generator = self.trainer.eval_generator(level)
        results = {k: float(v) for k, v in self.eval_hook(step, generator).items()}
        if level is not None:
            results["resolution"] = float(self.trainer.level_resolution(level))
        self.log(f"eval step {step}: " + "  ".join(
            f"{k} {v:.4g}" for k, v in results.items())
            + f"  ({format_duration(time.time() - start)})")
        self._log_scalars(step, {f"eval/{k}": v for k, v in results.items()})
        append_eval_record(self.model_dir, step, results)
        fid = results.get("fid")
        if fid is not None and fid < self.best_fid:
            self.best_fid = fid
            manager = tf.train.CheckpointManager(self.checkpoint, self.layout.best_dir,
                                                 max_to_keep=1)
            path = manager.save(checkpoint_number=step)
            write_best_record(self.model_dir, step, os.path.basename(path), results)
            self.log(f"New best FID {fid:.4g} at step {step}: saved {path}.")
        return results

    # --- the loop ------------------------------------------------------------

    def _check_finite(self, step, metrics):
        if not all(math.isfinite(v) for v in metrics.values()):
            raise non_finite_loss(step, metrics, self.config,
                                  tf.train.latest_checkpoint(self.model_dir))

    def train(self):
        """Trains to ``num_steps`` (resuming if possible), then finishes.

        Returns a TrainResult. Raises NonFiniteLossError if a loss becomes
        NaN/Inf (nothing is saved after the last good checkpoint), and on a
        multi-worker run ClusterError when a worker is lost.
        """
        cfg = self.config
        self.restore()  # first: an unusable checkpoint stops before any write
        # The record changes only with a checkpoint made by its settings: now
        # for a fresh run, with the next checkpoint for changed settings.
        if self.resume.changes:
            self._pending_history = [*self.resume.history, self.resume.history_entry()]
        if self.chief:
            if self.resume.fresh:
                self._write_record()
            remove_stale_checkpoint_temps(self.model_dir, self.log)
        step = int(self.trainer.step.numpy())
        self.log(f"Training {cfg.model.architecture} {cfg.model.resolution}px on "
                 f"{cfg.data.name}: steps {step} -> {cfg.num_steps}, global batch "
                 f"{cfg.batch_size} on {self.trainer.num_replicas} replica(s), "
                 f"{cfg.d_steps} D step(s) per G step.")
        try:
            if cfg.eval_every and step == 0 and cfg.num_steps > 0:
                self.run_eval(0)  # the untrained baseline that later evaluations improve on
            with StopSignals() as signals:
                metrics, stopped_by = self._loop(signals)
            if stopped_by is None:
                return self.finish(metrics)
        except tf.errors.OpError as error:
            if self.multiworker and is_cluster_failure(error):
                raise cluster_failure(error, int(self.trainer.step.numpy()),
                                      tf.train.latest_checkpoint(self.model_dir),
                                      f"task:{task_id(self.strategy)}") from None
            raise
        return TrainResult(int(self.trainer.step.numpy()), metrics, stopped_by,
                           self.manager.latest_checkpoint, None)

    def _loop(self, signals):
        """The steps up to ``num_steps``; returns (last metrics, the signal
        that stopped the run or None)."""
        cfg, trainer = self.config, self.trainer
        step = int(trainer.step.numpy())
        clock = monitor.StepClock(cfg.num_steps, *trainer.step_workload())
        preemption = Preemption(self.strategy, signals, self.save) if self.multiworker else None
        metrics = {}

        def due(every):
            return every and step % every == 0 and step < cfg.num_steps

        while step < cfg.num_steps:
            drawn = trainer.examples_in_next_step()
            metrics = trainer.iteration(self.iterator)
            self.data_position.assign_add(drawn)
            step += 1
            clock.tick(step)
            self._check_finite(step, metrics)
            if cfg.log_every and (step % cfg.log_every == 0 or step == cfg.num_steps):
                self._report(step, metrics, clock)
            if due(cfg.singular_values_every) and self.chief:
                self._log_scalars(step, trainer.weight_spectra())
            finished = trainer.finished_level()
            if finished is not None:
                path = self.write_grid(step, level=finished)
                if path:
                    self.log(f"Resolution {path.rsplit('_', 1)[-1][:-4]} done at step "
                             f"{step}: sample grid {path}.")
                if cfg.schedule.eval_each_level and step < cfg.num_steps:
                    self.run_eval(step, level=finished)  # the last is finish()'s
            if due(cfg.save_every):
                self.save()
            if due(cfg.sample_every):
                self.write_grid(step)
            if due(cfg.eval_every):
                self.run_eval(step)
            if preemption is not None:
                try:
                    preemption.check()
                except Preempted as notice:
                    self.log(f"{notice.signal}: every worker saved at step {step}; "
                             "relaunch every worker with the same command to resume.")
                    return metrics, notice.signal
            elif signals.received:
                path = self.save()
                self.log(f"{signals.received} received: saved {path} at step {step}; "
                         "rerun the same command to resume.")
                return metrics, signals.received
        return metrics, None

    def _final_statistics(self):
        """Fills the EMA generator's standing statistics when the run uses
        them; returns (truncation of the final grid, what it normalises with)."""
        cfg = self.config
        ema = self.trainer.ema_generator
        if not self.trainer.uses_standing_stats:
            return None, "no batch norm"
        if not cfg.standing_batches:
            self.log("No standing statistics (--standing_batches=0); store them with "
                     f"`python -m tfbiggan.evaluate standing --model_dir={self.model_dir}` "
                     "before exporting or sampling with a truncation.")
            return None, "moving averages"
        if has_standing_stats(ema):
            # Restored from a final checkpoint that has them: every training
            # step copies G's unfilled statistics into the EMA generator, so
            # filled ones belong to these exact weights. Recomputing would
            # also move the spectral-norm vectors, breaking bitwise resumes.
            self.log("Standing statistics of the EMA generator restored from the checkpoint.")
        else:
            start = time.time()
            accumulate_standing_stats(ema, num_batches=cfg.standing_batches,
                                      batch_size=cfg.standing_batch_size, seed=cfg.seed)
            self.log(f"Standing statistics of the EMA generator: "
                     f"{format_duration(time.time() - start)}.")
        return 1.0, "standing statistics at truncation 1.0"

    def finish(self, metrics=None):
        """Standing statistics for the EMA generator, final checkpoint, grid, eval.

        With ``standing_batches=0`` (and for a family without batch norm) no
        standing statistics are computed and the final grid uses the moving
        averages.
        """
        step = int(self.trainer.step.numpy())
        truncation, statistics = self._final_statistics()
        path = self.save()
        grid = self.write_grid(step, truncation=truncation, final=True)
        if grid:
            self.log(f"Saved checkpoint {path} and sample grid {grid} "
                     f"(EMA generator, {statistics}).")
        self.run_eval(step)
        self.writer.flush()
        return TrainResult(step, metrics or {}, None, path, grid)
