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
its own slice. Replicas therefore get different noise, a resumed run draws the
same noise as an uninterrupted one, and one device reproduces N replicas.

Orthogonal regularisation (BigGAN, Sec. 3.1) applies to every G kernel but
the class embeddings, once per update. The other terms a TrainConfig can
switch on (gradient penalties, feature matching, sigma_0 controls, weight
clipping, historical averaging) are in ``tfbiggan.train.objectives``; virtual
batch norm's reference batch is drawn once, from the seed, at construction.
"""
import keras
import tensorflow as tf

from tfbiggan.losses import get_loss
from tfbiggan.models import Discriminator, Generator
from tfbiggan.train.ema import GeneratorEMA
from tfbiggan.train.objectives import Objectives

POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16",
            "float16": "mixed_float16"}
_SALTS_PER_STEP = 1 << 16  # distinct noise streams available within one step


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

    def _replica_uniform(self, step, salt):
        """This replica's slice of U[0, 1] [global micro-batch] (WGAN-GP's
        interpolation weights), from a stream apart from the noise."""
        global_batch = self.local_batch * self.num_replicas
        seed = tf.stack([tf.constant(self.config.seed, tf.int64),
                         step * _SALTS_PER_STEP + salt + _SALTS_PER_STEP // 2])
        values = tf.random.stateless_uniform([global_batch], seed=seed)
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        start = tf.cast(replica, tf.int32) * self.local_batch
        return values[start:start + self.local_batch]

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

    def enable_jit(self):
        """Compiles the per-replica D and G steps with XLA."""
        self._d_replica_step = tf.function(self._d_replica_step, jit_compile=True)
        self._g_replica_step = tf.function(self._g_replica_step, jit_compile=True)
        self._iteration_fn = tf.function(self._iteration)

    def iteration(self, iterator):
        """Runs one step on a distributed iterator; metrics as Python floats."""
        return {k: float(v) for k, v in self._iteration_fn(iterator).items()}

    # --- monitoring ---------------------------------------------------------
