"""The exponential moving average of the generator (BigGAN, Sec. 4; Appendix C).

Before ``start`` the EMA generator copies G exactly (decay 0, as BigGAN-PyTorch
does until ``ema_start``); from then on it follows ema = d * ema + (1 - d) * G.
Averaged: every trainable weight and the batch norms' moving mean and variance
(BigGAN-PyTorch's ``ema`` averages parameters and buffers), so the EMA
generator's moving statistics belong to its own weights. Copied: everything
else (spectral-norm ``u``, standing statistics and their ``standing_ready``
flag). A training step therefore also marks the EMA generator's standing
statistics as not filled: they would describe older weights.
"""
import tensorflow as tf

AVERAGED_STATISTICS = ("moving_mean", "moving_variance")


def matched_variables(target, source):
    """[(target variable, source variable)] of two models of one config."""
    def key(v):
        return v.path.split("/", 1)[-1]
    if [key(v) for v in target.variables] != [key(v) for v in source.variables]:
        raise RuntimeError(f"{target.name} and {source.name} have different variables.")
    return list(zip(target.variables, source.variables))


class GeneratorEMA:
    """Keeps ``ema_generator`` the moving average of ``generator``.

    Args:
      decay: the EMA decay d in [0, 1).
      start: the step from which weights are averaged (copied before).
    """

    def __init__(self, ema_generator, generator, decay, start):
        self.decay = float(decay)
        self.start = int(start)
        averaged = {id(v) for v in generator.trainable_variables}
        averaged |= {id(v) for v in generator.non_trainable_variables
                     if v.path.rsplit("/", 1)[-1] in AVERAGED_STATISTICS}
        pairs = matched_variables(ema_generator, generator)
        self._averaged = [(e, g) for e, g in pairs if id(g) in averaged]
        self._copied = [(e, g) for e, g in pairs if id(g) not in averaged]

    def update(self, step):
        """One EMA step after training step ``step`` (a tensor; traceable)."""
        decay = tf.where(step >= self.start, self.decay, 0.0)
        for ema, source in self._averaged:
            ema.assign(decay * ema + (1.0 - decay) * source)
        for ema, source in self._copied:
            ema.assign(source)
