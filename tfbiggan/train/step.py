"""The training step: models, optimizers and one compiled iteration.

One iteration (= one ``step``) makes ``d_steps`` discriminator updates, then
one generator update, then updates the EMA generator (``tfbiggan.train.ema``).
Every update averages gradients over ``num_accumulations`` micro-batches; a
micro-batch is split over the replicas. Keras all-reduces gradients with SUM,
so each replica scales its loss by 1 / (num_accumulations * num_replicas): the
applied gradient is then the gradient of the mean loss over the global batch,
identical to one device running the whole batch.

Noise: z ~ N(0, 1) and uniform fake classes are drawn statelessly from
(seed, step, micro-step) for the *global* micro-batch, and each replica takes
its own slice (``tfbiggan.train.noise``).

Orthogonal regularisation (BigGAN, Sec. 3.1) applies to every G kernel but
the class embeddings, once per update. The other terms a TrainConfig can
switch on (gradient penalties, feature matching, sigma_0 controls, weight
clipping, historical averaging) are in ``tfbiggan.train.objectives``; virtual
batch norm's reference batch is drawn once, from the seed, at construction.
"""
import keras
import numpy as np
import tensorflow as tf

from tfbiggan.losses import get_loss
from tfbiggan.models import Discriminator, Generator
from tfbiggan.train import monitor
from tfbiggan.train.ema import GeneratorEMA
from tfbiggan.train.noise import replica_latents, replica_uniform
from tfbiggan.train.objectives import Objectives

POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16",
            "float16": "mixed_float16"}


def in_chunks(generate, z, y, chunk):
    """numpy concatenation of ``generate(z_part, y_part)`` over chunks of at
    most ``chunk`` rows (at least 1) of z [N, z_dim] and y [N, classes]."""
    chunk = max(1, int(chunk))
    return np.concatenate([generate(z[i:i + chunk], y[i:i + chunk]).numpy()
                           for i in range(0, int(z.shape[0]), chunk)])


class Trainer:
    """Models, optimizers and the compiled training iteration.

    Args:
      config: a TrainConfig (its batch checked here against the strategy's
        replicas).
      strategy: any tf.distribute.Strategy.
      log: callable(str) for console lines (default print).
    """

    def __init__(self, config, strategy, log=None):
        config.check_replicas(strategy.num_replicas_in_sync)
        self.config = config
        self.strategy = strategy
        self.num_replicas = strategy.num_replicas_in_sync
        self.local_batch = config.micro_batch() // self.num_replicas
        self.log = log or (lambda message: print(message, flush=True))
        self._build()
        self._iteration_fn = tf.function(self._iteration)

    # --- construction -------------------------------------------------------

    def _build(self):
        cfg = self.config
        policy = keras.DTypePolicy(POLICIES[cfg.precision])
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
        self.ema = GeneratorEMA(self.ema_generator, self.generator, cfg.ema_decay,
                                cfg.ema_start)
        embeddings = {id(v) for v in self.generator.class_embedding_weights()}
        g_weights = [v for v in self.generator.trainable_variables
                     if len(v.shape) >= 2 and id(v) not in embeddings]
        with self.strategy.scope():
            self.ema_generator.set_weights(self.generator.get_weights())
            self.objectives = Objectives(cfg, self.generator, self.discriminator,
                                         get_loss(cfg.loss, cfg.real_target), g_weights)
        self.vbn_reference = None
        if cfg.virtual_batch_norm:
            # Drawn once and kept: the same reference on every replica and step.
            seed = [cfg.seed, -1]
            z = tf.random.stateless_normal([cfg.virtual_batch_norm, cfg.model.z_dim], seed)
            labels = tf.range(cfg.virtual_batch_norm) % cfg.model.num_classes
            self.vbn_reference = (z, tf.one_hot(labels, cfg.model.num_classes))

    def _optimizer(self, lr):
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

    # --- per-replica computation -------------------------------------------

    def _replica_noise(self, step, salt):
        """This replica's z [local_batch, z_dim] and one-hot y (train/noise.py)."""
        cfg = self.config.model
        return replica_latents(self.config.seed, step, salt, self.local_batch,
                               self.num_replicas, cfg.z_dim, cfg.num_classes)

    def _replica_uniform(self, step, salt):
        """This replica's WGAN-GP interpolation weights [local_batch]."""
        return replica_uniform(self.config.seed, step, salt, self.local_batch,
                               self.num_replicas)

    def _scale(self, optimizer, loss):
        if self.config.precision == "float16":
            return optimizer.scale_loss(loss)
        return loss

    def _accumulate(self, total, grads):
        return grads if total is None else [a + g for a, g in zip(total, grads)]

    def _generate(self, z, y):
        """G(z, y) in training mode, behind the virtual-batch-norm reference
        batch when there is one."""
        if self.vbn_reference is None:
            return self.generator(z, y, training=True)
        z_ref, y_ref = self.vbn_reference
        n = int(z_ref.shape[0])
        with self.generator.virtual_batch_norm(n):
            images = self.generator(tf.concat([z_ref, z], 0), tf.concat([y_ref, y], 0),
                                    training=True)
        return images[n:]

    def _d_replica_step(self, step, d_index, batches):
        cfg = self.config
        k = cfg.num_accumulations
        variables = self.discriminator.trainable_variables
        r1_due = cfg.r1_gamma > 0 and step % cfg.r1_interval == 0
        total, sums = None, {}
        for j, (images, y_real) in enumerate(batches):
            salt = d_index * k + j
            z, y_fake = self._replica_noise(step, salt)
            fake = self._generate(z, y_fake)
            epsilon = self._replica_uniform(step, salt)
            with tf.GradientTape() as tape:
                objective, report = self.objectives.d_terms(images, y_real, fake, y_fake,
                                                            epsilon, r1_due)
                scaled = self._scale(self.d_optimizer,
                                     objective / (k * self.num_replicas))
            total = self._accumulate(total, tape.gradient(scaled, variables))
            for key, value in report.items():
                sums[key] = sums.get(key, 0.0) + value / k
        self.d_optimizer.apply(total, variables)
        return sums

    def _g_replica_step(self, step, batches):
        cfg = self.config
        k = cfg.num_accumulations
        variables = self.generator.trainable_variables
        total, sums = None, {}
        for j in range(k):
            z, y = self._replica_noise(step, cfg.d_steps * k + j)
            with tf.GradientTape() as tape:
                objective, regulariser, report = self.objectives.g_terms(
                    self._generate(z, y), y, batches[j] if batches else None, j == 0)
                scaled = self._scale(self.g_optimizer, objective / (k * self.num_replicas)
                                     + regulariser / self.num_replicas)
            total = self._accumulate(total, tape.gradient(scaled, variables))
            # Regularisers come once per update, so they are not averaged over k.
            for key, value in report.items():
                sums[key] = sums.get(key, 0.0) + (
                    value if key in Objectives.PER_UPDATE else value / k)
        self.g_optimizer.apply(total, variables)
        return sums

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
            self.objectives.after_d_update()
        # Feature matching compares with real images: the G step reads a batch.
        batches = ([next(iterator) for _ in range(cfg.num_accumulations)]
                   if cfg.feature_matching else None)
        out = self.strategy.run(self._g_replica_step, args=(step, batches))
        for key, value in out.items():
            metrics[key] = self.strategy.reduce(mean, value, axis=None)
        lowered = self.objectives.after_g_update()
        if cfg.g_sigma_clamp or cfg.g_sigma_clamp_ratio:
            metrics["sigma_clamp"] = lowered
        self.ema.update(step)
        self.step.assign_add(1)
        return metrics

    # --- the interface TrainingRun uses (shared with ProGANTrainer) ---------

    uses_standing_stats = True

    def checkpoint_objects(self):
        """What a checkpoint holds besides the data iterator."""
        extra = {}
        if self.objectives.g_history is not None:
            extra.update(g_history=self.objectives.g_history.state,
                         d_history=self.objectives.d_history.state)
        return dict(generator=self.generator, discriminator=self.discriminator,
                    ema_generator=self.ema_generator, g_optimizer=self.g_optimizer,
                    d_optimizer=self.d_optimizer, step=self.step, **extra)

    def sample(self, z, y, truncation=None):
        """EMA images for z, y: numpy [N, R, R, 3]. In chunks of the
        per-replica batch, which fits on one device by construction (80
        images at once need ~21 GB for biggan-256's attention at 128x128)."""
        return in_chunks(lambda zc, yc: self.ema_generator(zc, yc, truncation=truncation),
                         z, y, self.local_batch)

    def step_workload(self):
        """(images per step, relative cost per step or None) for the ETA."""
        return self.config.batch_size, None

    def examples_in_next_step(self):
        """Real examples the next iteration draws from the data (all replicas):
        a batch per D step, and one more for feature matching's G step."""
        cfg = self.config
        return cfg.batch_size * (cfg.d_steps + (1 if cfg.feature_matching else 0))

    def finished_level(self):
        """BigGAN does not grow: never a finished level."""
        return None

    def eval_generator(self, level=None):
        """What the evaluation hook scores: the EMA generator (``level`` is
        for growing models)."""
        return self.ema_generator

    def monitored_singular_values(self):
        """sigma_0 and sigma_0 / sigma_1 of chosen G and D kernels."""
        return monitor.singular_values(self.generator, self.discriminator)

    def enable_jit(self):
        """Compiles the per-replica D and G steps with XLA."""
        self._d_replica_step = tf.function(self._d_replica_step, jit_compile=True)
        self._g_replica_step = tf.function(self._g_replica_step, jit_compile=True)
        self._iteration_fn = tf.function(self._iteration)

    def iteration(self, iterator):
        """Runs one step on a distributed iterator; metrics as Python floats."""
        return {k: float(v) for k, v in self._iteration_fn(iterator).items()}
