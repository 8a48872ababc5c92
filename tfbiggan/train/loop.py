"""The BigGAN training loop on any tf.distribute strategy.

One iteration (= one ``step``) makes ``d_steps`` discriminator updates, then
one generator update, then updates the EMA generator. Every update averages
gradients over ``num_accumulations`` micro-batches; a micro-batch is split over
the replicas. Keras all-reduces gradients with SUM, so each replica scales its
loss by 1 / (num_accumulations * num_replicas): the applied gradient is then
the gradient of the mean loss over the global batch, identical to one device
running the whole batch.

Noise: z ~ N(0, 1) and uniform fake classes are drawn statelessly from
(seed, step, micro-step) for the *global* micro-batch, and each replica takes
its own slice. Replicas therefore get different noise, a resumed run draws the
same noise as an uninterrupted one, and one device reproduces N replicas.

EMA: before ``ema_start`` the EMA generator copies G exactly (decay 0); from
then on its trainable weights follow ema = d * ema + (1 - d) * G. Non-trainable
variables (batch-norm moving statistics, spectral-norm ``u``) are *copied* from
G, not averaged: moving statistics describe the activations of G, and the EMA
weights are close enough to G that its statistics are the best cheap estimate.
The final generator gets proper standing statistics instead (see ``finish``).

Sample grids come from the EMA generator on fixed z (truncnorm(-2, 2)) and one
row per class: during training with the moving statistics (``truncation=None``),
at the end with the standing statistics at truncation 1.0.
"""
import dataclasses
import json
import math
import os
import shutil
import signal
import time
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf

from tfbiggan import checkpoint as ckpt_lib
from tfbiggan.data.pipeline import make_train_dataset, open_source
from tfbiggan.layers import top_singular_values
from tfbiggan.losses import get_loss
from tfbiggan.models import Discriminator, Generator
from tfbiggan.progress import format_duration
from tfbiggan.regularizers import orthogonal_regularization
from tfbiggan.sampling import tfhub_truncated_z
from tfbiggan.standing import accumulate_standing_stats, has_standing_stats
from tfbiggan.train.config import ConfigError
from tfbiggan.train.strategy import is_chief, task_id
from tfbiggan.visualize import make_grid, save_image_grid

EvalHook = Callable[[int, Generator], dict]
_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16",
             "float16": "mixed_float16"}
_SALTS_PER_STEP = 1 << 16  # distinct noise streams available within one step


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or Inf; training stopped without saving."""


class RunWriteError(RuntimeError):
    """A checkpoint or another run file could not be written (disk full,
    file too large, permissions); training stopped, earlier files intact."""


def _atomic_write_text(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with tf.io.gfile.GFile(tmp, "w") as f:
        f.write(text)
    tf.io.gfile.rename(tmp, path, overwrite=True)


def remove_stale_checkpoint_temps(model_dir, log):
    """Deletes ``ckpt-N_temp`` folders that a killed save left behind.

    TensorFlow writes a checkpoint's shards there, then merges them into
    ``ckpt-N.*``; a process killed in between leaves the folder, which no
    checkpoint refers to.
    """
    for path in tf.io.gfile.glob(os.path.join(model_dir, "*_temp")):
        if tf.io.gfile.isdir(path):
            tf.io.gfile.rmtree(path)
            log(f"Removed {path}, left by an interrupted checkpoint write.")


def check_resume_config(model_dir, model_config):
    """ConfigError if ``model_dir`` holds a run of a different model."""
    path = os.path.join(model_dir, ckpt_lib.CONFIG_FILE)
    if not tf.io.gfile.exists(path):
        return
    saved, _ = ckpt_lib.read_model_config(model_dir)
    if saved != model_config:
        diff = {k: (v, getattr(model_config, k)) for k, v in saved.to_dict().items()
                if getattr(model_config, k) != v}
        details = ", ".join(f"{k}: saved {a!r} vs requested {b!r}"
                            for k, (a, b) in diff.items())
        raise ConfigError(
            f"{model_dir!r} holds a run of a different model ({details}). Use "
            "another --model_dir, or the flags of that run to resume it.")


class _StopSignals:
    """Turns SIGTERM/SIGINT into a flag the loop checks between steps."""

    def __init__(self):
        self.received = None
        self._previous = {}

    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum, frame):
        del frame
        self.received = signal.Signals(signum).name

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class Trainer:
    """Models, optimizers and the compiled training iteration.

    Args:
      config: a TrainConfig (validated here against the strategy).
      strategy: any tf.distribute.Strategy.
      log: callable(str) for console lines (default print).
    """

    def __init__(self, config, strategy, log=None):
        config.validate(strategy.num_replicas_in_sync)
        self.config = config
        self.strategy = strategy
        self.num_replicas = strategy.num_replicas_in_sync
        self.local_batch = config.micro_batch() // self.num_replicas
        self.log = log or (lambda message: print(message, flush=True))
        self.loss = get_loss(config.loss)
        self._build()
        self._iteration_fn = tf.function(self._iteration)

    # --- construction -------------------------------------------------------

    def _build(self):
        cfg = self.config
        policy = keras.DTypePolicy(_POLICIES[cfg.precision])
        with self.strategy.scope():
            self.generator = Generator(cfg.model, dtype=policy, name="generator")
            self.discriminator = Discriminator(cfg.model, dtype=policy,
                                               name="discriminator")
            # The EMA copy is only evaluated, so it stays in float32.
            self.ema_generator = Generator(cfg.model, name="ema_generator")
            for model in (self.generator, self.discriminator, self.ema_generator):
                model.build()
            self.g_optimizer = self._optimizer(cfg.g_lr)
            self.d_optimizer = self._optimizer(cfg.d_lr)
            self.g_optimizer.build(self.generator.trainable_variables)
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        # Weights and the batch norms' moving statistics are averaged (as
        # BigGAN-PyTorch's ema does for parameters and buffers), so the EMA
        # generator's moving statistics belong to its own weights; the rest
        # (spectral-norm u, standing statistics) is copied.
        pairs = self._pairs(self.ema_generator.variables, self.generator.variables)
        averaged = {id(v) for v in self.generator.trainable_variables}
        averaged |= {id(v) for v in self.generator.non_trainable_variables
                     if v.path.rsplit("/", 1)[-1] in ("moving_mean", "moving_variance")}
        self._ema_pairs = [(e, g) for e, g in pairs if id(g) in averaged]
        self._copy_pairs = [(e, g) for e, g in pairs if id(g) not in averaged]
        embedding = id(self.generator.shared_embedding.kernel)
        self._ortho_weights = [v for v in self.generator.trainable_variables
                               if len(v.shape) >= 2 and id(v) != embedding]
        with self.strategy.scope():
            self.ema_generator.set_weights(self.generator.get_weights())

    def _optimizer(self, lr):
        cfg = self.config
        opt = keras.optimizers.Adam(lr, beta_1=cfg.beta1, beta_2=cfg.beta2,
                                    epsilon=cfg.adam_epsilon)
        if cfg.precision == "float16":
            opt = keras.optimizers.LossScaleOptimizer(opt)
        return opt

    @staticmethod
    def _pairs(targets, sources):
        def key(v):
            return v.path.split("/", 1)[-1]
        if [key(v) for v in targets] != [key(v) for v in sources]:
            raise RuntimeError("EMA and training generators have different variables.")
        return list(zip(targets, sources))

    # --- per-replica computation -------------------------------------------

    def _replica_noise(self, step, salt):
        """This replica's slice of the global micro-batch noise.

        Returns z float32 [local_batch, z_dim] ~ N(0, 1) and one-hot y float32
        [local_batch, num_classes] of uniform classes.
        """
        cfg = self.config.model
        global_batch = self.local_batch * self.num_replicas
        seed = tf.stack([tf.constant(self.config.seed, tf.int64),
                         step * _SALTS_PER_STEP + salt])
        z_seed, y_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        z = tf.random.stateless_normal([global_batch, cfg.z_dim], seed=z_seed)
        labels = tf.random.stateless_uniform([global_batch], seed=y_seed, minval=0,
                                             maxval=cfg.num_classes, dtype=tf.int32)
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        start = tf.cast(replica, tf.int32) * self.local_batch
        z = z[start:start + self.local_batch]
        y = tf.one_hot(labels[start:start + self.local_batch], cfg.num_classes)
        return z, y

    def _scale(self, optimizer, loss):
        if self.config.precision == "float16":
            return optimizer.scale_loss(loss)
        return loss

    def _accumulate(self, total, grads):
        return grads if total is None else [a + g for a, g in zip(total, grads)]

    def _d_replica_step(self, step, d_index, batches):
        k = self.config.num_accumulations
        variables = self.discriminator.trainable_variables
        total, sums = None, {"d_loss": 0.0, "d_real": 0.0, "d_fake": 0.0}
        for j, (images, y_real) in enumerate(batches):
            z, y_fake = self._replica_noise(step, d_index * k + j)
            fake = self.generator(z, y_fake, training=True)
            with tf.GradientTape() as tape:
                logits = self.discriminator(tf.concat([images, fake], 0),
                                            tf.concat([y_real, y_fake], 0),
                                            training=True)
                real_logits, fake_logits = tf.split(logits, 2)
                loss = self.loss.d(real_logits, fake_logits)
                scaled = self._scale(self.d_optimizer,
                                     loss / (k * self.num_replicas))
            total = self._accumulate(total, tape.gradient(scaled, variables))
            sums["d_loss"] += loss / k
            sums["d_real"] += tf.reduce_mean(real_logits) / k
            sums["d_fake"] += tf.reduce_mean(fake_logits) / k
        self.d_optimizer.apply(total, variables)
        return sums

    def _g_replica_step(self, step):
        cfg = self.config
        k = cfg.num_accumulations
        variables = self.generator.trainable_variables
        total, g_loss, reg = None, 0.0, tf.constant(0.0)
        for j in range(k):
            z, y = self._replica_noise(step, cfg.d_steps * k + j)
            with tf.GradientTape() as tape:
                fake = self.generator(z, y, training=True)
                loss = self.loss.g(self.discriminator(fake, y, training=True))
                objective = loss / (k * self.num_replicas)
                if j == 0 and cfg.ortho_reg > 0:
                    reg = orthogonal_regularization(self._ortho_weights, cfg.ortho_reg)
                    objective += reg / self.num_replicas
                scaled = self._scale(self.g_optimizer, objective)
            total = self._accumulate(total, tape.gradient(scaled, variables))
            g_loss += loss / k
        self.g_optimizer.apply(total, variables)
        return {"g_loss": g_loss, "ortho_reg": reg}

    def _update_ema(self, step):
        cfg = self.config
        decay = tf.where(step >= cfg.ema_start, cfg.ema_decay, 0.0)
        for ema, source in self._ema_pairs:
            ema.assign(decay * ema + (1.0 - decay) * source)
        for ema, source in self._copy_pairs:
            ema.assign(source)

    def _iteration(self, iterator):
        """One training step; returns metrics averaged over replicas."""
        cfg = self.config
        step = self.step.read_value()
        mean = tf.distribute.ReduceOp.MEAN
        metrics = {}
        for i in range(cfg.d_steps):
            batches = [next(iterator) for _ in range(cfg.num_accumulations)]
            out = self.strategy.run(self._d_replica_step, args=(step, i, batches))
            for key, value in out.items():  # averaged over the D steps
                metrics[key] = metrics.get(key, 0.0) + self.strategy.reduce(
                    mean, value, axis=None) / cfg.d_steps
        out = self.strategy.run(self._g_replica_step, args=(step,))
        for key, value in out.items():
            metrics[key] = self.strategy.reduce(mean, value, axis=None)
        self._update_ema(step)
        self.step.assign_add(1)
        return metrics

    def enable_jit(self):
        """Compiles the per-replica D and G steps with XLA."""
        self._d_replica_step = tf.function(self._d_replica_step, jit_compile=True)
        self._g_replica_step = tf.function(self._g_replica_step, jit_compile=True)
        self._iteration_fn = tf.function(self._iteration)

    def iteration(self, iterator):
        """Runs one step on a distributed iterator; metrics as Python floats."""
        return {k: float(v) for k, v in self._iteration_fn(iterator).items()}

    # --- monitoring ---------------------------------------------------------

    def singular_values(self):
        """sigma_0 (and sigma_0 / sigma_1) of chosen raw G and D kernels."""
        g, d = self.generator, self.discriminator
        layers = {"G/linear": g.linear, "G/out_conv": g.out_conv,
                  f"G/{g.blocks[0].name}_conv1": g.blocks[0].conv1,
                  f"D/{d.blocks[0].name}_conv1": d.blocks[0].conv1,
                  "D/linear": d.linear, "D/embed": d.embed}
        values = {}
        for name, layer in layers.items():
            s = top_singular_values(tf.convert_to_tensor(layer.kernel), 2).numpy()
            values[f"sigma0/{name}"] = float(s[0])
            if len(s) > 1 and s[1] > 0:
                values[f"sigma_ratio/{name}"] = float(s[0] / s[1])
        return values

    def learning_rates(self):
        def lr(opt):
            return float(np.asarray(keras.ops.convert_to_numpy(opt.learning_rate)))
        return {"lr/g": lr(self.g_optimizer), "lr/d": lr(self.d_optimizer)}


def fixed_grid_inputs(model_config, rows, columns, seed):
    """Fixed z (truncnorm(-2, 2)) and y (one row per class) for sample grids.

    Rows are min(rows, num_classes) classes spread evenly over the label range.
    Returns z float32 [rows*columns, z_dim], y float32 [rows*columns, classes].
    """
    rows = min(rows, model_config.num_classes)
    classes = np.round(np.linspace(0, model_config.num_classes - 1, rows)).astype(int)
    labels = np.repeat(classes, columns)
    z = tfhub_truncated_z(len(labels), model_config.z_dim, 1.0, seed=seed + 7919)
    y = np.eye(model_config.num_classes, dtype=np.float32)[labels]
    return z, y, rows


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
      model_dir: where checkpoints, ``model_config.json``, TensorBoard logs
        (``train/``), sample grids and ``eval_log.jsonl`` go.
      eval_hook: optional callable(step, ema_generator) -> {name: float}.
      dataset_fn: optional callable(tf.distribute.InputContext) -> dataset of
        per-replica (images, y) batches; default reads ``data``.
      data: the opened ``config.data`` (``tfbiggan.data.pipeline.open_source``);
        opened here when None and no dataset_fn is given.
      log: callable(str) for console lines.
    """

    def __init__(self, config, strategy, model_dir, eval_hook=None,
                 dataset_fn=None, data=None, log=None):
        self.config = config
        self.strategy = strategy
        self.model_dir = model_dir
        self.eval_hook = eval_hook
        self.log = log or (lambda message: print(message, flush=True))
        self.chief = is_chief(strategy)
        check_resume_config(model_dir, config.model)
        self.trainer = Trainer(config, strategy, log=self.log)
        if config.jit_compile:
            self.trainer.enable_jit()
        if dataset_fn is None:
            self.data = data or open_source(config.data)
            dataset_fn = self._default_dataset_fn
        self.dataset_fn = dataset_fn
        self.dataset = strategy.distribute_datasets_from_function(self.dataset_fn)
        self.iterator = iter(self.dataset)
        self._make_checkpointing()
        z, y, self.grid_rows = fixed_grid_inputs(config.model, config.grid_rows,
                                                 config.grid_columns, config.seed)
        self.grid_z, self.grid_y = tf.constant(z), tf.constant(y)
        self._writer = None
        self.best_fid = self._read_best_fid()

    @property
    def writer(self):
        """The TensorBoard writer, created on first use: a run that fails to
        resume leaves no new file behind."""
        if self._writer is None:
            self._writer = (
                tf.summary.create_file_writer(os.path.join(self.model_dir, "train"))
                if self.chief else tf.summary.create_noop_writer())
        return self._writer

    def _default_dataset_fn(self, input_context):
        cfg = self.config
        batch = input_context.get_per_replica_batch_size(cfg.micro_batch())
        return make_train_dataset(self.data, cfg.model.resolution,
                                  cfg.model.num_classes, batch, seed=cfg.seed,
                                  input_context=input_context)

    # --- checkpoints ---------------------------------------------------------

    def _iterator_checkpointable(self):
        return (self.config.checkpoint_data_iterator
                and self.config.strategy in ("default", "mirrored"))

    def _make_checkpointing(self):
        t = self.trainer
        extra = {"data_iterator": self.iterator} if self._iterator_checkpointable() else {}
        self.checkpoint = ckpt_lib.make_checkpoint(
            t.generator, t.discriminator, ema_generator=t.ema_generator,
            g_optimizer=t.g_optimizer, d_optimizer=t.d_optimizer, step=t.step, **extra)
        # Under multi-worker every worker saves (saving may need collectives),
        # but only the chief writes into model_dir.
        self.write_dir = (self.model_dir if self.chief else os.path.join(
            self.model_dir, f".worker{task_id(self.strategy)}_tmp"))
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, self.write_dir, max_to_keep=self.config.keep_checkpoints,
            step_counter=t.step)

    def restore(self):
        """Restores the latest checkpoint in model_dir, if any; returns its path."""
        latest = tf.train.latest_checkpoint(self.model_dir)
        if latest is None:
            return None
        try:
            self.checkpoint.restore(latest).expect_partial()
        except Exception as error:  # TF's reader raises many types for a bad file
            raise ckpt_lib.unreadable_checkpoint_error(latest, error) from None
        self.log(f"Resumed from {latest} at step {int(self.trainer.step.numpy())}.")
        return latest

    def save(self):
        """Writes ``ckpt-<step>``; RunWriteError (naming the last intact
        checkpoint) when it cannot be written."""
        step = int(self.trainer.step.numpy())
        try:
            path = self.manager.save(checkpoint_number=step)
        except (tf.errors.OpError, OSError) as error:
            reason = getattr(error, "message", None) or str(error)
            remove_stale_checkpoint_temps(self.write_dir, self.log)
            raise RunWriteError(
                f"Could not write checkpoint ckpt-{step} in {self.write_dir!r}: "
                f"{reason.splitlines()[0]}. Training stopped at step {step}; the last "
                f"complete checkpoint, {tf.train.latest_checkpoint(self.model_dir)!r}, "
                "is intact. Free disk space (or fix the folder) and rerun the same "
                "command to resume.") from None
        if not self.chief:
            tf.io.gfile.rmtree(self.write_dir)
            return None
        return path

    # --- outputs -------------------------------------------------------------

    def _sample(self, truncation=None):
        # In chunks of the per-replica batch, which fits on one device by
        # construction (80 images at once need ~21 GB for biggan-256's
        # attention at 128x128).
        chunk = max(1, self.trainer.local_batch)
        generator = self.trainer.ema_generator
        return np.concatenate([
            generator(self.grid_z[i:i + chunk], self.grid_y[i:i + chunk],
                      truncation=truncation).numpy()
            for i in range(0, int(self.grid_z.shape[0]), chunk)])

    def write_grid(self, step, truncation=None, final=False):
        """Writes the EMA sample grid PNG next to the checkpoints (chief)."""
        if not self.chief:
            return None
        images = self._sample(truncation)
        directory = os.path.join(self.model_dir, "samples")
        name = "final.png" if final else f"step_{step:08d}.png"
        scale = max(1, 96 // self.config.model.resolution)
        path = save_image_grid(images, os.path.join(directory, name),
                               self.grid_rows, scale=scale)
        latest = os.path.join(self.model_dir, "samples.png")
        shutil.copyfile(path, latest + ".tmp")
        os.replace(latest + ".tmp", latest)
        with self.writer.as_default(step=step):
            grid = make_grid(images, self.grid_rows)
            tf.summary.image("samples/ema_final" if final else "samples/ema",
                             grid[None], step=step)
        return path

    def _log_scalars(self, step, values):
        with self.writer.as_default(step=step):
            for key, value in values.items():
                tf.summary.scalar(key, value, step=step)

    def _read_best_fid(self):
        path = os.path.join(self.model_dir, "best", "best.json")
        if tf.io.gfile.exists(path):
            with tf.io.gfile.GFile(path) as f:
                return float(json.load(f).get("fid", math.inf))
        return math.inf

    def run_eval(self, step):
        """Calls the eval hook (chief only) and records its results."""
        if self.eval_hook is None or not self.chief:
            return None
        start = time.time()
        results = {k: float(v) for k, v in
                   self.eval_hook(step, self.trainer.ema_generator).items()}
        self.log(f"eval step {step}: " + "  ".join(
            f"{k} {v:.4g}" for k, v in results.items())
            + f"  ({format_duration(time.time() - start)})")
        self._log_scalars(step, {f"eval/{k}": v for k, v in results.items()})
        with tf.io.gfile.GFile(os.path.join(self.model_dir, "eval_log.jsonl"), "a") as f:
            f.write(json.dumps({"step": step, **results}) + "\n")  # one write per line
        fid = results.get("fid")
        if fid is not None and fid < self.best_fid:
            self.best_fid = fid
            best_dir = os.path.join(self.model_dir, "best")
            manager = tf.train.CheckpointManager(self.checkpoint, best_dir, max_to_keep=1)
            path = manager.save(checkpoint_number=step)
            _atomic_write_text(os.path.join(best_dir, "best.json"), json.dumps(
                {"step": step, "checkpoint": os.path.basename(path), **results},
                indent=2))
            self.log(f"New best FID {fid:.4g} at step {step}: saved {path}.")
        return results

    # --- the loop ------------------------------------------------------------

    def train(self):
        """Trains to ``num_steps`` (resuming if possible), then finishes.

        Returns a TrainResult. Raises NonFiniteLossError if a loss becomes
        NaN/Inf (nothing is saved after the last good checkpoint).
        """
        cfg = self.config
        self.restore()  # first: an unusable checkpoint stops before any write
        if self.chief:
            ckpt_lib.write_model_config(self.model_dir, cfg.model,
                                        settings=cfg.to_dict())
            remove_stale_checkpoint_temps(self.model_dir, self.log)
        trainer = self.trainer
        step = int(trainer.step.numpy())
        start_step, metrics, stopped_by = step, {}, None
        images_per_step = cfg.batch_size
        last_log_time, last_log_step = time.time(), step
        window_start = None
        self.log(f"Training {cfg.model.architecture} {cfg.model.resolution}px on "
                 f"{cfg.data.name}: steps {step} -> {cfg.num_steps}, global batch "
                 f"{cfg.batch_size} on {trainer.num_replicas} replica(s), "
                 f"{cfg.d_steps} D step(s) per G step.")
        if cfg.eval_every and step == 0 and cfg.num_steps > 0:
            self.run_eval(0)  # the untrained baseline that later evaluations improve on
        with _StopSignals() as signals:
            while step < cfg.num_steps:
                metrics = trainer.iteration(self.iterator)
                step += 1
                if window_start is None:  # the first step includes tracing
                    window_start = (time.time(), step)
                    last_log_time, last_log_step = window_start
                bad = {k: v for k, v in metrics.items() if not math.isfinite(v)}
                if bad:
                    raise NonFiniteLossError(
                        f"Non-finite loss at step {step}: "
                        + ", ".join(f"{k}={v}" for k, v in bad.items())
                        + ". Training stopped; the last good checkpoint is "
                        f"{tf.train.latest_checkpoint(self.model_dir)!r} and was "
                        "left untouched. Lower the learning rates or use float32.")
                if cfg.log_every and (step % cfg.log_every == 0 or step == cfg.num_steps):
                    now = time.time()
                    rate = images_per_step * (step - last_log_step) / max(
                        now - last_log_time, 1e-9)
                    elapsed_steps = step - window_start[1]
                    per_step = (now - window_start[0]) / max(elapsed_steps, 1)
                    eta = per_step * (cfg.num_steps - step) if elapsed_steps else 0
                    self.log(f"step {step}/{cfg.num_steps}  d_loss {metrics['d_loss']:.4f}"
                             f"  g_loss {metrics['g_loss']:.4f}  D(x) {metrics['d_real']:+.3f}"
                             f"  D(G(z)) {metrics['d_fake']:+.3f}  {rate:.1f} img/s"
                             f"  ETA {format_duration(eta)}")
                    scalars = {"loss/d": metrics["d_loss"], "loss/g": metrics["g_loss"],
                               "d_output/real": metrics["d_real"],
                               "d_output/fake": metrics["d_fake"],
                               "loss/ortho_reg": metrics["ortho_reg"],
                               "throughput/img_per_s": rate}
                    if self.chief:
                        scalars.update(trainer.learning_rates())
                        scalars.update(trainer.singular_values())
                    self._log_scalars(step, scalars)
                    last_log_time, last_log_step = now, step
                if cfg.save_every and step % cfg.save_every == 0 and step < cfg.num_steps:
                    self.save()
                if cfg.sample_every and step % cfg.sample_every == 0 and step < cfg.num_steps:
                    self.write_grid(step)
                if cfg.eval_every and step % cfg.eval_every == 0 and step < cfg.num_steps:
                    self.run_eval(step)
                if signals.received:
                    stopped_by = signals.received
                    path = self.save()
                    self.log(f"{stopped_by} received: saved {path} at step {step}; "
                             "rerun the same command to resume.")
                    break
        if stopped_by is None:
            return self.finish(metrics, start_step)
        return TrainResult(step, metrics, stopped_by, self.manager.latest_checkpoint, None)

    def finish(self, metrics=None, start_step=None):
        """Standing statistics for the EMA generator, final checkpoint, grid, eval.

        With ``standing_batches=0`` no standing statistics are computed and the
        final grid uses the moving averages.
        """
        cfg = self.config
        step = int(self.trainer.step.numpy())
        truncation, statistics = None, "moving averages"
        ema = self.trainer.ema_generator
        if cfg.standing_batches and has_standing_stats(ema):
            # Restored from a final checkpoint that has them: every training
            # step copies G's unfilled statistics into the EMA generator, so
            # filled ones belong to these exact weights. Recomputing would
            # also move the spectral-norm vectors, breaking bitwise resumes.
            self.log("Standing statistics of the EMA generator restored from the checkpoint.")
        elif cfg.standing_batches:
            start = time.time()
            accumulate_standing_stats(ema, num_batches=cfg.standing_batches,
                                      batch_size=cfg.standing_batch_size, seed=cfg.seed)
            self.log(f"Standing statistics of the EMA generator: "
                     f"{format_duration(time.time() - start)}.")
        if cfg.standing_batches:
            truncation, statistics = 1.0, "standing statistics at truncation 1.0"
        else:
            self.log("No standing statistics (--standing_batches=0); store them with "
                     f"`python -m tfbiggan.evaluate standing --model_dir={self.model_dir}` "
                     "before exporting or sampling with a truncation.")
        path = self.save()
        grid = self.write_grid(step, truncation=truncation, final=True)
        if grid:
            self.log(f"Saved checkpoint {path} and sample grid {grid} "
                     f"(EMA generator, {statistics}).")
        self.run_eval(step)
        self.writer.flush()
        return TrainResult(step, metrics or {}, None, path, grid)
