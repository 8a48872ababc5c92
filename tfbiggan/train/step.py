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
the shared class embedding, once per update.
"""
import keras
import tensorflow as tf

from tfbiggan.losses import get_loss
from tfbiggan.models import Discriminator, Generator
from tfbiggan.regularizers import orthogonal_regularization
from tfbiggan.train.ema import GeneratorEMA

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
        self.loss = get_loss(config.loss)
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
