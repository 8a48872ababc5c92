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
import tensorflow as tf

from tfbiggan.losses import get_loss
from tfbiggan.layers.resampling import upsample2x
from tfbiggan.models.progan import real_images_at
from tfbiggan.penalties import drift_penalty, gradient_penalty
from tfbiggan.train.noise import replica_latents, replica_uniform
from tfbiggan.train.progressive import FADE
from tfbiggan.train.trainer_base import TrainerBase


# The metrics (and TensorBoard tags) that say where the growth is.
LEVEL, ALPHA = "progressive/level", "progressive/alpha"


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


class ProGANTrainer(TrainerBase):
    """ProGAN's growth and compiled iteration per level, on TrainerBase's
    models, optimizers and EMA; ``phase()`` tells where the run is.

    Args:
      config: a TrainConfig with a ProGANConfig model (and GrowthSettings).
      strategy: any tf.distribute.Strategy.
      log: callable(str) for console lines.
    """

    def __init__(self, config, strategy, log=None):
        super().__init__(config, strategy, log)
        self.schedule = config.schedule.growth_schedule(config)
        self.unit = config.micro_batch()
        self.loss = get_loss(config.loss)
        with strategy.scope():
            self.images_shown = tf.Variable(0, dtype=tf.int64, trainable=False,
                                            name="images_shown")
            self.optimizer_phase = tf.Variable(-1, dtype=tf.int64, trainable=False,
                                               name="optimizer_phase")
        self._functions = {}
        self._images_before = None  # images shown before the last step

    def extra_checkpoint_objects(self):
        """Where the growth is, and which phase the optimizers' state is of."""
        return dict(images_shown=self.images_shown, optimizer_phase=self.optimizer_phase)

    def phase(self):
        """The schedule's Phase at the images shown so far."""
        return self.schedule.phase(int(self.images_shown.numpy()))

    def step_workload(self):
        """(each step's batch, its relative cost) for the ETA. The cost is
        batch x side: each level takes about twice the time per image of the
        one below (feature maps halve as the side doubles, and small
        convolutions are overhead-bound; WORKSPACE.md has the measurement)."""
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
        weight = self.config.schedule.class_loss_weight
        if logits is None or not weight:
            return 0.0
        return weight * tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))

    def _d_replica_step(self, step, stream, images, y, level, alpha):
        cfg = self.config
        final = cfg.model.num_levels - 1
        reals = real_images_at(images, level, alpha, final)
        z, _ = replica_latents(cfg.seed, step, stream, self._batch_local(level),
                               self.num_replicas, cfg.model.z_dim, cfg.model.num_classes)
        fakes = self.generator(z, y, level=level, alpha=alpha, training=True)
        epsilon = replica_uniform(cfg.seed, step, stream, self._batch_local(level),
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
            if cfg.schedule.drift:
                drift = drift_penalty(real_scores)
                objective += cfg.schedule.drift * drift
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
        metrics = {}
        d_step, g_step = self._d_replica_step, self._g_replica_step
        for i in range(self.config.d_steps):
            parts = [next(iterator) for _ in range(units)]
            out = self.strategy.run(
                lambda *batches: d_step(step, i, tf.concat([b[0] for b in batches], 0),
                                        tf.concat([b[1] for b in batches], 0), level, alpha),
                args=tuple(parts))
            self.reduce_mean(out, metrics, 1.0 / self.config.d_steps)
        self.reduce_mean(self.strategy.run(g_step, args=(step, level, alpha)), metrics)
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
        with the step's level (0 = 4x4) and alpha (``LEVEL``, ``ALPHA``)."""
        self._images_before = int(self.images_shown.numpy())
        phase = self.schedule.phase(self._images_before)
        self._enter_phase(phase)
        metrics = self._function(phase.level)(iterator, tf.constant(phase.alpha, tf.float32))
        self.images_shown.assign_add(self.schedule.batch_size(phase.level))
        metrics = {k: float(v) for k, v in metrics.items()}
        metrics.update({LEVEL: float(phase.level), ALPHA: float(phase.alpha)})
        return metrics

    def position(self, metrics):
        """``16x16 alpha 0.500``: the step's resolution and fade-in alpha."""
        side = self.config.model.level_resolution(int(metrics[LEVEL]))
        return f"{side}x{side} alpha {metrics[ALPHA]:.3f}"

    # --- outputs ------------------------------------------------------------

    def sample(self, z, y, truncation=None):
        """EMA images where the run is (its level and alpha): numpy [N, r, r, 3]."""
        if truncation is not None:
            raise ValueError("Progressive GAN has no truncation (no batch norm).")
        phase = self.phase()
        return self._sample_at(z, y, phase.level, phase.alpha)

    def sample_level(self, z, y, level):
        """EMA images of a finished ``level`` (alpha 1, or the current alpha
        when the run is still at that level): numpy [N, r, r, 3]."""
        phase = self.phase()
        return self._sample_at(z, y, level, phase.alpha if level == phase.level else 1.0)

    def _sample_at(self, z, y, level, alpha):
        return self.sample_in_chunks(
            lambda zc, yc: self.ema_generator(zc, yc, level=level, alpha=alpha), z, y)

    def level_resolution(self, level):
        return self.config.model.level_resolution(level)

    def eval_generator(self, level=None):
        """What the evaluation hook scores: the EMA generator where the run is,
        or at ``level`` with alpha 1, upsampled to the final resolution."""
        if level is not None:
            return LevelView(self.ema_generator, level, 1.0)
        phase = self.phase()
        return LevelView(self.ema_generator, phase.level, phase.alpha)
