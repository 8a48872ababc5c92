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
import tensorflow as tf

from tfbiggan.losses import get_loss
from tfbiggan.train import monitor
from tfbiggan.train.noise import replica_latents, replica_uniform
from tfbiggan.train.objectives import Objectives
from tfbiggan.train.trainer_base import TrainerBase


class Trainer(TrainerBase):
    """BigGAN's objectives and compiled training iteration, on TrainerBase's
    models, optimizers and EMA (arguments as TrainerBase's)."""

    def __init__(self, config, strategy, log=None):
        super().__init__(config, strategy, log)
        self._build()
        self._iteration_fn = tf.function(self._iteration)

    # --- construction -------------------------------------------------------

    def _build(self):
        cfg = self.config
        embeddings = {id(v) for v in self.generator.class_embedding_weights()}
        g_matrices = [v for v in self.generator.trainable_variables
                      if len(v.shape) >= 2 and id(v) not in embeddings]
        with self.strategy.scope():
            self.objectives = Objectives(cfg, self.generator, self.discriminator,
                                         get_loss(cfg.loss, cfg.real_target), g_matrices)
        self.vbn_reference = None
        if cfg.virtual_batch_norm:
            # Drawn once and kept: the same reference on every replica and step.
            seed = [cfg.seed, -1]
            z = tf.random.stateless_normal([cfg.virtual_batch_norm, cfg.model.z_dim], seed)
            labels = tf.range(cfg.virtual_batch_norm) % cfg.model.num_classes
            self.vbn_reference = (z, tf.one_hot(labels, cfg.model.num_classes))

    # --- per-replica computation -------------------------------------------

    def _replica_noise(self, step, stream):
        """This replica's z [local_batch, z_dim] and one-hot y (train/noise.py)."""
        cfg = self.config.model
        return replica_latents(self.config.seed, step, stream, self.local_batch,
                               self.num_replicas, cfg.z_dim, cfg.num_classes)

    def _replica_uniform(self, step, stream):
        """This replica's WGAN-GP interpolation weights [local_batch]."""
        return replica_uniform(self.config.seed, step, stream, self.local_batch,
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
            stream = d_index * k + j
            z, y_fake = self._replica_noise(step, stream)
            fake = self._generate(z, y_fake)
            epsilon = self._replica_uniform(step, stream)
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
        metrics = {}
        for i in range(cfg.d_steps):
            batches = [next(iterator) for _ in range(cfg.num_accumulations)]
            out = self.strategy.run(self._d_replica_step, args=(step, i, batches))
            self.reduce_mean(out, metrics, 1.0 / cfg.d_steps)  # averaged over the D steps
            self.objectives.after_d_update()
        # Feature matching compares with real images: the G step reads a batch.
        batches = ([next(iterator) for _ in range(cfg.num_accumulations)]
                   if cfg.feature_matching else None)
        out = self.strategy.run(self._g_replica_step, args=(step, batches))
        self.reduce_mean(out, metrics)
        lowered = self.objectives.after_g_update()
        if cfg.g_sigma_clamp or cfg.g_sigma_clamp_ratio:
            metrics["sigma_clamp"] = lowered
        self.ema.update(step)
        self.step.assign_add(1)
        return metrics

    # --- the TrainerBase interface ------------------------------------------

    def extra_checkpoint_objects(self):
        """Historical averaging's running means, when it is on."""
        if self.objectives.g_history is None:
            return {}
        return dict(g_history=self.objectives.g_history.state,
                    d_history=self.objectives.d_history.state)

    def examples_in_next_step(self):
        """Real examples the next iteration draws from the data (all replicas):
        a batch per D step, and one more for feature matching's G step."""
        cfg = self.config
        return cfg.batch_size * (cfg.d_steps + (1 if cfg.feature_matching else 0))

    def monitored_scalars(self):
        """The learning rates, and sigma_0 and sigma_0 / sigma_1 of chosen G
        and D kernels."""
        return {**super().monitored_scalars(),
                **monitor.singular_values(self.generator, self.discriminator)}

    def enable_jit(self):
        """Compiles the per-replica D and G steps with XLA."""
        self._d_replica_step = tf.function(self._d_replica_step, jit_compile=True)
        self._g_replica_step = tf.function(self._g_replica_step, jit_compile=True)
        self._iteration_fn = tf.function(self._iteration)

    def iteration(self, iterator):
        """Runs one step on a distributed iterator; metrics as Python floats."""
        return {k: float(v) for k, v in self._iteration_fn(iterator).items()}
