"""What every family's trainer shares, and the one interface ``TrainingRun``
uses.

``TrainerBase`` builds, under the strategy's scope, the family's generator,
discriminator and EMA generator (``tfbiggan.families``), their optimizers,
the step counter and the EMA update; it reduces the replicas' metrics and
samples in chunks. A family's trainer (``tfbiggan.train.step.Trainer`` for
BigGAN, ``tfbiggan.train.progan_step.ProGANTrainer``) adds its compiled
iteration and whatever its schedule needs.

The interface ``TrainingRun`` relies on, and nothing else:

- attributes ``step`` (int64 variable), ``ema_generator``, ``num_replicas``,
  ``uses_standing_stats``;
- ``iteration(iterator)`` -> {metric: float}: one training step;
- ``examples_in_next_step()``: real examples (all replicas) it will draw;
- ``step_workload()`` -> (images per step, relative costs or None): the ETA;
- ``checkpoint_objects()`` -> {name: trackable}: what a checkpoint holds;
- ``sample(z, y, truncation=None)`` -> numpy images of the EMA generator;
- ``finished_level()`` -> the stage that the last step completed, or None,
  and ``sample_level(z, y, level)``, ``level_resolution(level)`` and
  ``eval_generator(level)`` for it;
- ``position(metrics)`` -> where a growing run is, for the console line;
- ``monitored_scalars()`` -> {tag: float} for TensorBoard (learning rates,
  watched spectra); ``weight_spectra()`` the top singular values of every
  weight (``--singular_values_every``);
- ``enable_jit()``: XLA-compile the replica steps.
"""
import keras
import numpy as np
import tensorflow as tf

from tfbiggan.train import monitor
from tfbiggan.train.ema import GeneratorEMA

POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16",
            "float16": "mixed_float16"}


def in_chunks(generate, z, y, chunk):
    """numpy concatenation of ``generate(z_part, y_part)`` over chunks of at
    most ``chunk`` rows (at least 1) of z [N, z_dim] and y [N, classes]."""
    chunk = max(1, int(chunk))
    return np.concatenate([generate(z[i:i + chunk], y[i:i + chunk]).numpy()
                           for i in range(0, int(z.shape[0]), chunk)])


class TrainerBase:
    """Models, optimizers, EMA and step of one run; see the module docstring
    for the interface.

    Args:
      config: a TrainConfig (its batch checked here against the strategy's
        replicas).
      strategy: any tf.distribute.Strategy.
      log: callable(str) for console lines (default print).
    """

    def __init__(self, config, strategy, log=None):
        config.check_replicas(strategy.num_replicas_in_sync)
        self.config = config
        self.family = config.family
        self.strategy = strategy
        self.num_replicas = strategy.num_replicas_in_sync
        # Each replica's share of one micro-batch (the data's unit).
        self.local_batch = config.micro_batch() // self.num_replicas
        self.log = log or (lambda message: print(message, flush=True))
        self.uses_standing_stats = self.family.uses_standing_stats
        policy = keras.DTypePolicy(POLICIES[config.precision])
        with strategy.scope():
            self.generator = self.family.generator(config.model, dtype=policy,
                                                   name="generator")
            self.discriminator = self.family.discriminator(config.model, dtype=policy,
                                                           name="discriminator")
            # The EMA copy is only evaluated, so it stays in float32.
            self.ema_generator = self.family.generator(config.model, name="ema_generator")
            for model in (self.generator, self.discriminator, self.ema_generator):
                model.build()
            self.g_optimizer = self.make_optimizer(config.g_lr)
            self.d_optimizer = self.make_optimizer(config.d_lr)
            self.g_optimizer.build(self.generator.trainable_variables)
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.ema_generator.set_weights(self.generator.get_weights())
        self.ema = GeneratorEMA(self.ema_generator, self.generator, config.ema_decay,
                                config.ema_start)

    def make_optimizer(self, lr):
        """Adam (the default) or RMSProp, behind loss scaling for float16."""
        cfg = self.config
        if cfg.optimizer == "rmsprop":
            # WGAN (Arjovsky et al. 2017, Algorithm 1) uses RMSProp; rho and
            # epsilon are those of its reference code (PyTorch's defaults).
            opt = keras.optimizers.RMSprop(lr, rho=0.99, epsilon=1e-8)
        else:
            opt = keras.optimizers.Adam(lr, beta_1=cfg.beta1, beta_2=cfg.beta2,
                                        epsilon=cfg.adam_epsilon)
        if cfg.precision == "float16":
            opt = keras.optimizers.LossScaleOptimizer(opt)
        return opt

    def reduce_mean(self, per_replica, into=None, weight=1.0):
        """{key: replica mean of the value x weight}, added into ``into``."""
        into = {} if into is None else into
        mean = tf.distribute.ReduceOp.MEAN
        for key, value in per_replica.items():
            into[key] = into.get(key, 0.0) + self.strategy.reduce(
                mean, value, axis=None) * weight
        return into

    def sample_in_chunks(self, generate, z, y):
        """numpy images of ``generate(z, y)`` in chunks of the per-replica
        batch, which fits on one device by construction."""
        return in_chunks(generate, z, y, self.local_batch)

    # --- the interface TrainingRun uses --------------------------------------

    def iteration(self, iterator):
        """Runs one step on a distributed iterator; metrics as Python floats."""
        raise NotImplementedError

    def examples_in_next_step(self):
        """Real examples the next iteration draws from the data (all replicas)."""
        raise NotImplementedError

    def step_workload(self):
        """(images per step, relative cost per step or None) for the ETA."""
        return self.config.batch_size, None

    def extra_checkpoint_objects(self):
        """What a family's checkpoint holds beyond the shared objects."""
        return {}

    def checkpoint_objects(self):
        """What a checkpoint holds besides the data iterator."""
        return dict(generator=self.generator, discriminator=self.discriminator,
                    ema_generator=self.ema_generator, g_optimizer=self.g_optimizer,
                    d_optimizer=self.d_optimizer, step=self.step,
                    **self.extra_checkpoint_objects())

    def sample(self, z, y, truncation=None):
        """EMA images for z, y: numpy [N, R, R, 3]; ``truncation`` only for a
        generator with standing statistics."""
        if truncation is None:
            return self.sample_in_chunks(lambda zc, yc: self.ema_generator(zc, yc), z, y)
        return self.sample_in_chunks(
            lambda zc, yc: self.ema_generator(zc, yc, truncation=truncation), z, y)

    def finished_level(self):
        """The stage of a growing schedule that the last step completed, or
        None (always None for a run at one resolution)."""
        return None

    def sample_level(self, z, y, level):
        """EMA images at a finished ``level``; only growing trainers have levels."""
        raise NotImplementedError(f"{type(self).__name__} trains at one resolution.")

    def level_resolution(self, level):
        """The image side of a finished ``level`` (growing trainers only)."""
        raise NotImplementedError(f"{type(self).__name__} trains at one resolution.")

    def eval_generator(self, level=None):
        """What the evaluation hook scores: the EMA generator (or, for a
        growing trainer, the EMA generator at ``level``)."""
        del level
        return self.ema_generator

    def position(self, metrics):
        """Where a growing run is, for the console line ("" at one resolution)."""
        del metrics
        return ""

    def monitored_scalars(self):
        """{tag: value} logged with each report: the learning rates."""
        return monitor.learning_rates(self.g_optimizer, self.d_optimizer)

    def weight_spectra(self):
        """{tag: value}: top-3 singular values of every G and D weight."""
        return monitor.weight_singular_values((self.generator, self.discriminator))

    def enable_jit(self):
        """XLA-compiles the replica steps."""
        raise NotImplementedError(f"{type(self).__name__} has no XLA path.")
