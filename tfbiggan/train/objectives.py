"""Every term of the D and G objectives that a TrainConfig switches on, and the
updates that follow an optimizer step. Per replica and micro-batch, the terms
are means over the local batch, like the losses, so the step's scaling by
1 / (num_accumulations * replicas) applies to them unchanged.

D: the loss (``tfbiggan.losses``, with one-sided label smoothing), WGAN-GP's
gradient penalty on real/fake interpolates (real labels), R1 on real data
(every ``r1_interval`` steps with gamma * interval, the lazy form), and
historical averaging. After each D update: WGAN's weight clipping.

G: the loss (times ``g_loss_weight``), feature matching (Salimans et al. 2016,
Sec. 3.1: the squared distance between the mean pooled D features of a real
and a fake batch, the means taken over all replicas' examples of the
micro-batch; with ``g_loss_weight=0`` it is the whole objective, as in the
paper), orthogonal regularisation, BigGAN's sigma_0
regularisation, historical averaging. After each G update: BigGAN's sigma_0
clamp.
"""
import tensorflow as tf

from tfbiggan.penalties import gradient_penalty, r1_penalty
from tfbiggan.regularizers import (clamp_top_singular_value, orthogonal_regularization,
                                   sigma_regularization)


def global_batch_mean(values):
    """Mean over axis 0 of every replica's `values` [local_batch, ...] (the
    global micro-batch). Gradients flow back through the all-reduce, so each
    replica's examples get their share, as on one device."""
    ctx = tf.distribute.get_replica_context()
    values = tf.cast(values, tf.float32)
    total = ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.reduce_sum(values, 0))
    count = ctx.all_reduce(tf.distribute.ReduceOp.SUM,
                           tf.cast(tf.shape(values)[0], tf.float32))
    return total / count


class HistoricalAverage:
    """The running mean of some variables since training started, for the
    penalty ||theta - (1/t) sum_i theta[i]||^2 (Salimans et al. 2016, Sec. 3.3).

    Create it in the strategy's scope; ``update`` runs in cross-replica
    context after each optimizer step; ``state`` (the means and the count, a
    tf.Module) goes in the checkpoint.
    """

    def __init__(self, variables, name):
        self.variables = list(variables)
        self.state = tf.Module(name=name)
        self.state.means = [tf.Variable(v, trainable=False, name=f"{name}_mean_{i}",
                                        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
                            for i, v in enumerate(self.variables)]
        self.state.count = tf.Variable(1.0, trainable=False, name=f"{name}_count",
                                       aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    def penalty(self):
        return tf.add_n([tf.reduce_sum(tf.square(tf.cast(v, tf.float32) - m))
                         for v, m in zip(self.variables, self.state.means)])

    def update(self):
        self.state.count.assign_add(1.0)
        for v, m in zip(self.variables, self.state.means):
            m.assign_add((tf.cast(v, tf.float32) - m) / self.state.count)


class Objectives:
    """The objective terms of one TrainConfig for one pair of models."""

    # Report keys of the terms added once per update, not per micro-batch.
    PER_UPDATE = ("ortho_reg", "sigma_reg", "g_historical")

    def __init__(self, config, generator, discriminator, loss, g_matrices):
        self.config = config
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        # G's kernels but the class embeddings: what orthogonal regularisation
        # and the sigma_0 terms act on.
        self.g_matrices = g_matrices
        self.g_history = self.d_history = None
        if config.historical_averaging:
            self.g_history = HistoricalAverage(generator.trainable_variables, "g_history")
            self.d_history = HistoricalAverage(discriminator.trainable_variables, "d_history")

    # --- D -------------------------------------------------------------------

    def _d_logits(self, images, y_real, fake, y_fake):
        if self.config.model.d_minibatch_kernels or self.config.model.d_minibatch_stddev:
            # Minibatch features must not mix real and fake examples.
            return (self.discriminator(images, y_real, training=True),
                    self.discriminator(fake, y_fake, training=True))
        logits = self.discriminator(tf.concat([images, fake], 0),
                                    tf.concat([y_real, y_fake], 0), training=True)
        return tf.split(logits, 2)

    def d_terms(self, images, y_real, fake, y_fake, epsilon, r1_due):
        """(objective to minimise, {name: value}) of one D micro-batch."""
        cfg = self.config
        real_logits, fake_logits = self._d_logits(images, y_real, fake, y_fake)
        loss = self.loss.d(real_logits, fake_logits)
        report = {"d_loss": loss, "d_real": tf.reduce_mean(real_logits),
                  "d_fake": tf.reduce_mean(fake_logits)}
        objective = loss

        def critic(x):  # training=False: penalties do not advance SN's u
            return self.discriminator(x, y_real, training=False)

        if cfg.gp_weight:
            report["gradient_penalty"] = gradient_penalty(critic, images, fake, epsilon)
            objective += cfg.gp_weight * report["gradient_penalty"]
        if cfg.r1_gamma:
            r1 = r1_penalty(critic, images) if r1_due else tf.constant(0.0)
            report["r1"] = r1
            objective += cfg.r1_gamma * cfg.r1_interval * r1
        if self.d_history is not None:
            report["d_historical"] = self.d_history.penalty()
            objective += cfg.historical_averaging * report["d_historical"]
        return objective, report

    def after_d_update(self):
        """Cross-replica: weight clipping (WGAN, Algorithm 1), history."""
        clip = self.config.d_weight_clip
        if clip:
            for v in self.discriminator.trainable_variables:
                v.assign(tf.clip_by_value(v, -clip, clip))
        if self.d_history is not None:
            self.d_history.update()

    # --- G -------------------------------------------------------------------

    def g_terms(self, fake, y, real_batch, first_micro_batch):
        """(objective to minimise, {name: value}) of one G micro-batch; the
        weight regularisers are added once per update (first micro-batch)."""
        cfg = self.config
        report = {}
        if cfg.feature_matching:
            logits, fake_features = self.discriminator(fake, y, training=True,
                                                       return_features=True)
            images, y_real = real_batch
            _, real_features = self.discriminator(images, y_real, training=True,
                                                  return_features=True)
            report["feature_matching"] = tf.reduce_sum(tf.square(
                global_batch_mean(real_features) - global_batch_mean(fake_features)))
        else:
            logits = self.discriminator(fake, y, training=True)
        report["g_loss"] = self.loss.g(logits)
        objective = cfg.g_loss_weight * report["g_loss"]
        if cfg.feature_matching:
            objective += cfg.feature_matching * report["feature_matching"]
        regulariser = tf.constant(0.0)
        if first_micro_batch:
            if cfg.ortho_reg:
                report["ortho_reg"] = orthogonal_regularization(self.g_matrices,
                                                                cfg.ortho_reg)
                regulariser += report["ortho_reg"]
            if cfg.g_sigma_reg:
                report["sigma_reg"] = sigma_regularization(
                    self.g_matrices, fixed=cfg.g_sigma_target or None,
                    ratio=cfg.g_sigma_ratio or None)
                regulariser += cfg.g_sigma_reg * report["sigma_reg"]
            if self.g_history is not None:
                report["g_historical"] = self.g_history.penalty()
                regulariser += cfg.historical_averaging * report["g_historical"]
        return objective, regulariser, report

    def after_g_update(self):
        """Cross-replica: BigGAN's sigma_0 clamp, history. Returns the mean
        amount the clamp lowered sigma_0 by (0 when off)."""
        cfg = self.config
        lowered = tf.constant(0.0)
        if cfg.g_sigma_clamp or cfg.g_sigma_clamp_ratio:
            for w in self.g_matrices:
                clamped, excess = clamp_top_singular_value(
                    w, fixed=cfg.g_sigma_clamp or None, ratio=cfg.g_sigma_clamp_ratio or None)
                w.assign(tf.cast(clamped, w.dtype))
                lowered += excess / len(self.g_matrices)
        if self.g_history is not None:
            self.g_history.update()
        return lowered
