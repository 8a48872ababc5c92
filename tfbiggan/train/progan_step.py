"""Progressive GAN's training step (Karras et al. 2018): the growing G and D,
their optimizers and one compiled iteration per level.

Where the run is (level, alpha, phase) follows from one counter, the real
images shown (``tfbiggan.train.progressive``), which the checkpoint holds
with the step, the optimizers and the index of the phase their state
belongs to; a run resumed in the middle of a fade therefore continues with
the same alpha, optimizer state and noise.

Per step (the paper's code, ``train.py`` and ``loss.py``):
- D: ``d_steps`` updates on  L_D = loss_d(D(x), D(G(z))) + lambda E[(||grad
  D(x_hat)||_2 - 1)^2] + eps_drift E[D(x)^2] (+ cond_weight (CE(D_cls(x), y)
  + CE(D_cls(G(z, y)), y)) when conditional), with x the real batch pooled
  to the level and blended during a fade (``real_images_at``) and the fakes
  drawn for the real batch's labels. With --loss=wasserstein, --gp_weight=10
  and --drift=0.001 this is the paper's WGAN-GP with the drift term (App.
  A.1, eq. 4 of Gulrajani et al.); the class term is the code's auxiliary
  classifier (``D_wgangp_acgan``, cond_weight 1).
- G: one update on  loss_g(D(G(z, y))) (+ cond_weight CE(D_cls(G(z, y)), y))
  with uniform random labels.
- the EMA generator (the code's ``Gs``, decay 0.999) follows G.
- Adam (lr 1e-3, beta1 0, beta2 0.99, eps 1e-8 in the paper); its state is
  zeroed whenever the phase changes, as ``reset_opt_for_new_lod`` does (at
  every fade's start and end), and each level may set its own batch and
  learning rate.

Each replica scales its loss by 1 / num_replicas (Keras all-reduces
gradients with SUM), so N replicas apply the gradient of the global batch.
"""
import keras
import tensorflow as tf

from tfbiggan.losses import get_loss
from tfbiggan.layers.resampling import upsample2x
from tfbiggan.models.progan import ProGANDiscriminator, ProGANGenerator, real_images_at
from tfbiggan.penalties import drift_penalty, gradient_penalty
from tfbiggan.train.ema import GeneratorEMA
from tfbiggan.train.noise import replica_latents, replica_uniform
from tfbiggan.train.progressive import FADE
from tfbiggan.train.step import in_chunks


def phase_index(phase):
    """0 for 4x4, then 2l - 1 for level l's fade and 2l for its stabilisation."""
    if phase.level == 0:
        return 0
    return 2 * phase.level - (1 if phase.name == FADE else 0)


def reset_optimizer(optimizer):
    """Zeroes an Adam's moments and iteration count (bias correction restarts),
    keeping its learning rate."""
    keep = {id(optimizer.learning_rate)} if isinstance(
        optimizer.learning_rate, tf.Variable) else set()
    for variable in optimizer.variables:
        if id(variable) not in keep:
            variable.assign(tf.zeros_like(variable))


def _apply_existing(optimizer, grads, variables):
    """Applies the gradients that exist: the stages beyond the level (and
    the toRGB / fromRGB layers it does not use) get none."""
    pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
    optimizer.apply([g for g, _ in pairs], [v for _, v in pairs])


class LevelView:
    """The EMA generator at one level and alpha, upsampled (nearest) to the
    final resolution: what the evaluation hook scores mid-growth.
    ``view(z, y, training=False)`` -> images [B, R, R, 3]."""

    def __init__(self, generator, level, alpha):
        self.generator = generator
        self.config = generator.config
        self.level, self.alpha = int(level), float(alpha)

    def __call__(self, z, y, training=False):
        images = self.generator(z, y, level=self.level, alpha=self.alpha)
        while int(images.shape[1]) < self.config.resolution:
            images = upsample2x(images)
        return images


class ProGANTrainer:
    """Models, optimizers and the compiled training iteration of ProGAN.

    The same interface as ``tfbiggan.train.step.Trainer`` for
    ``TrainingRun``; ``phase()`` tells where the run is.

    Args:
      config: a TrainConfig with a ProGANConfig model.
      strategy: any tf.distribute.Strategy.
      log: callable(str) for console lines.
    """
    uses_standing_stats = False

    def __init__(self, config, strategy, log=None):
        config.check_replicas(strategy.num_replicas_in_sync)
        self.config = config
        self.strategy = strategy
        self.num_replicas = strategy.num_replicas_in_sync
        self.schedule = config.growth_schedule()
        self.unit = config.micro_batch()
        self.local_batch = self.unit // self.num_replicas  # of one data unit
        self.log = log or (lambda message: print(message, flush=True))
        self.loss = get_loss(config.loss)
        cfg = config
        with strategy.scope():
            self.generator = ProGANGenerator(cfg.model, name="generator")
            self.discriminator = ProGANDiscriminator(cfg.model, name="discriminator")
            self.ema_generator = ProGANGenerator(cfg.model, name="ema_generator")
            for model in (self.generator, self.discriminator, self.ema_generator):
                model.build()
            self.g_optimizer = keras.optimizers.Adam(cfg.g_lr, beta_1=cfg.beta1,
                                                     beta_2=cfg.beta2, epsilon=cfg.adam_epsilon)
            self.d_optimizer = keras.optimizers.Adam(cfg.d_lr, beta_1=cfg.beta1,
                                                     beta_2=cfg.beta2, epsilon=cfg.adam_epsilon)
            self.g_optimizer.build(self.generator.trainable_variables)
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.images_shown = tf.Variable(0, dtype=tf.int64, trainable=False,
                                            name="images_shown")
            self.optimizer_phase = tf.Variable(-1, dtype=tf.int64, trainable=False,
                                               name="optimizer_phase")
            self.ema_generator.set_weights(self.generator.get_weights())
        self.ema = GeneratorEMA(self.ema_generator, self.generator, cfg.ema_decay,
                                cfg.ema_start)
        self._functions = {}
        self._images_before = None  # images shown before the last step

    def checkpoint_objects(self):
        """What a checkpoint holds besides the data iterator."""
        return dict(generator=self.generator, discriminator=self.discriminator,
                    ema_generator=self.ema_generator, g_optimizer=self.g_optimizer,
                    d_optimizer=self.d_optimizer, step=self.step,
                    images_shown=self.images_shown, optimizer_phase=self.optimizer_phase)

    def phase(self):
        """The schedule's Phase at the images shown so far."""
        return self.schedule.phase(int(self.images_shown.numpy()))

    def step_workload(self):
        """(each step's batch, its relative cost) for the ETA. The cost is
        batch x side: measured on the 2-core CPU demo, each level takes about
        twice the time per image of the one below (feature maps halve as the
        side doubles, and small convolutions are overhead-bound)."""
        levels = self.schedule.step_levels()
        batches = [self.schedule.batch_size(l) for l in levels]
        side = self.config.model.level_resolution
        return batches, [b * side(l) for b, l in zip(batches, levels)]

    def examples_in_next_step(self):
        """Real images the next iteration draws (all replicas): its level's
        batch per D step."""
        return self.config.d_steps * self.schedule.batch_size(self.phase().level)

    def finished_level(self):
        """The level whose training ended with the last step (a new fade
        began, or the run reached its end), else None."""
        if self._images_before is None:
            return None
        images_before = self._images_before
        before = self.schedule.phase(images_before)
        shown = int(self.images_shown.numpy())
        if shown >= self.schedule.total_images() > images_before:
            return before.level
        return before.level if self.schedule.phase(shown).level > before.level else None

    # --- per-replica computation -------------------------------------------

    def _d_and_classes(self, images, level, alpha):
        """(critic scores [B], class logits [B, label_size] or None)."""
        logits = tf.cast(self.discriminator(images, level=level, alpha=alpha, training=True),
                         tf.float32)
        return logits[:, 0], (logits[:, 1:] if self.config.model.label_size else None)

    def _class_loss(self, logits, y):
        if logits is None or not self.config.class_loss_weight:
            return 0.0
        return self.config.class_loss_weight * tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))

    def _d_replica_step(self, step, salt, images, y, level, alpha):
        cfg = self.config
        final = cfg.model.num_levels - 1
        reals = real_images_at(images, level, alpha, final)
        z, _ = replica_latents(cfg.seed, step, salt, self._batch_local(level),
                               self.num_replicas, cfg.model.z_dim, cfg.model.num_classes)
        fakes = self.generator(z, y, level=level, alpha=alpha, training=True)
        epsilon = replica_uniform(cfg.seed, step, salt, self._batch_local(level),
                                  self.num_replicas)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_scores, real_classes = self._d_and_classes(reals, level, alpha)
            fake_scores, fake_classes = self._d_and_classes(fakes, level, alpha)
            adversarial = self.loss.d(real_scores, fake_scores)
            report = {"d_loss": adversarial, "d_real": tf.reduce_mean(real_scores),
                      "d_fake": tf.reduce_mean(fake_scores)}
            objective = adversarial
            if cfg.gp_weight:
                penalty = gradient_penalty(
                    lambda x: self.discriminator(x, level=level, alpha=alpha)[:, 0],
                    reals, fakes, epsilon)
                objective += cfg.gp_weight * penalty
                report["gradient_penalty"] = penalty
            if cfg.drift:
                drift = drift_penalty(real_scores)
                objective += cfg.drift * drift
                report["drift"] = drift
            if real_classes is not None:
                classes = (self._class_loss(real_classes, y)
                           + self._class_loss(fake_classes, y))
                objective += classes
                report["d_class_loss"] = classes
            scaled = objective / self.num_replicas
        _apply_existing(self.d_optimizer, tape.gradient(scaled, variables), variables)
        return report

    def _g_replica_step(self, step, level, alpha):
        cfg = self.config
        z, y = replica_latents(cfg.seed, step, cfg.d_steps, self._batch_local(level),
                               self.num_replicas, cfg.model.z_dim, cfg.model.num_classes)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            scores, classes = self._d_and_classes(
                self.generator(z, y, level=level, alpha=alpha, training=True), level, alpha)
            adversarial = self.loss.g(scores)
            report = {"g_loss": adversarial}
            objective = adversarial
            if classes is not None:
                class_loss = self._class_loss(classes, y)
                objective += class_loss
                report["g_class_loss"] = class_loss
            scaled = objective / self.num_replicas
        _apply_existing(self.g_optimizer, tape.gradient(scaled, variables), variables)
        return report

    def _batch_local(self, level):
        return self.schedule.batch_size(level) // self.num_replicas

    def _iteration(self, iterator, alpha, level, units):
        """One step at ``level`` (a Python int) with ``alpha`` (a tensor)."""
        step = self.step.read_value()
        mean = tf.distribute.ReduceOp.MEAN
        metrics = {}
        d_step, g_step = self._d_replica_step, self._g_replica_step
        for i in range(self.config.d_steps):
            parts = [next(iterator) for _ in range(units)]
            out = self.strategy.run(
                lambda *batches: d_step(step, i, tf.concat([b[0] for b in batches], 0),
                                        tf.concat([b[1] for b in batches], 0), level, alpha),
                args=tuple(parts))
            for key, value in out.items():
                metrics[key] = metrics.get(key, 0.0) + self.strategy.reduce(
                    mean, value, axis=None) / self.config.d_steps
        out = self.strategy.run(g_step, args=(step, level, alpha))
        for key, value in out.items():
            metrics[key] = self.strategy.reduce(mean, value, axis=None)
        self.ema.update(step)
        self.step.assign_add(1)
        return metrics

    def _function(self, level):
        if level not in self._functions:
            units = self.schedule.batch_size(level) // self.unit
            self._functions[level] = tf.function(
                lambda iterator, alpha: self._iteration(iterator, alpha, level, units))
        return self._functions[level]

    def _enter_phase(self, phase):
        """Zeroes the optimizers' state when the phase changed since it was
        made, and sets the level's learning rates."""
        index = phase_index(phase)
        if index != int(self.optimizer_phase.numpy()):
            if int(self.optimizer_phase.numpy()) >= 0:
                reset_optimizer(self.g_optimizer)
                reset_optimizer(self.d_optimizer)
            self.optimizer_phase.assign(index)
        cfg = self.config
        self.g_optimizer.learning_rate.assign(self.schedule.learning_rate(phase.level, cfg.g_lr))
        self.d_optimizer.learning_rate.assign(self.schedule.learning_rate(phase.level, cfg.d_lr))

    def iteration(self, iterator):
        """Runs one step on a distributed iterator; metrics as Python floats,
        with the step's ``level`` (0 = 4x4) and ``alpha``."""
        self._images_before = int(self.images_shown.numpy())
        phase = self.schedule.phase(self._images_before)
        self._enter_phase(phase)
        metrics = self._function(phase.level)(iterator, tf.constant(phase.alpha, tf.float32))
        self.images_shown.assign_add(self.schedule.batch_size(phase.level))
        metrics = {k: float(v) for k, v in metrics.items()}
        metrics.update(level=float(phase.level), alpha=float(phase.alpha))
        return metrics

    # --- outputs ------------------------------------------------------------

    def sample(self, z, y, truncation=None, level=None):
        """EMA images at ``level`` (default: the current one) and its alpha,
        in chunks of the per-replica batch: numpy [N, r, r, 3]."""
        if truncation is not None:
            raise ValueError("Progressive GAN has no truncation (no batch norm).")
        phase = self.phase()
        alpha = phase.alpha if level is None or level == phase.level else 1.0
        level = phase.level if level is None else level
        return in_chunks(lambda zc, yc: self.ema_generator(zc, yc, level=level, alpha=alpha),
                         z, y, self.local_batch)

    def eval_generator(self, level=None):
        """What the evaluation hook scores: the EMA generator where the run is,
        or at ``level`` with alpha 1, upsampled to the final resolution."""
        if level is not None:
            return LevelView(self.ema_generator, level, 1.0)
        phase = self.phase()
        return LevelView(self.ema_generator, phase.level, phase.alpha)

    def monitored_singular_values(self):
        """No spectral quantities are watched for ProGAN."""
        return {}
