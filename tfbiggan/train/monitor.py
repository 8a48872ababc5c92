"""What a training run reports: the console line with throughput and ETA, the
TensorBoard scalars, and the spectral quantities BigGAN watches.

BigGAN (Sec. 4.1) monitors the top singular values of each weight to see
collapse coming: sigma_0 and sigma_0 / sigma_1 of a few G and D kernels are
logged with the losses.
"""
import time

import keras
import numpy as np
import tensorflow as tf

from tfbiggan.layers import top_singular_values
from tfbiggan.progress import format_duration
from tfbiggan.sampling import one_hot, tfhub_truncated_z

# The sample grid's z comes from its own stream (seed + this offset), apart
# from the training noise, so the grid stays fixed whatever training draws.
GRID_SEED_OFFSET = 7919


class StepClock:
    """Images per second since the last report, and the ETA of the run.

    The first step (which includes tracing) starts the clock, so neither
    number counts compilation. ``images_per_step`` is one batch for every
    step, or a list with each step's batch (a growing model's batch may
    change per level); ``costs`` optionally gives each step's relative cost
    (a growing model's batch x side), so the ETA weighs the steps still to
    come by it instead of counting them alike.
    """

    def __init__(self, num_steps, images_per_step, costs=None):
        self.num_steps = num_steps
        batches = (list(images_per_step) if isinstance(images_per_step, (list, tuple))
                   else [images_per_step] * num_steps)
        self._images = np.concatenate([[0], np.cumsum(batches, dtype=np.float64)])
        self._cost = np.concatenate([[0], np.cumsum(
            np.ones(num_steps) if costs is None else costs, dtype=np.float64)])
        self._start = None
        self._last = None

    def tick(self, step):
        """Call after every step; the first call starts the clock."""
        if self._start is None:
            self._start = self._last = (time.time(), step)

    def report(self, step):
        """(img/s since the last report, ETA in seconds)."""
        now = time.time()
        last_time, last_step = self._last
        rate = (self._images[step] - self._images[last_step]) / max(now - last_time, 1e-9)
        done = self._cost[step] - self._cost[self._start[1]]
        remaining = self._cost[self.num_steps] - self._cost[step]
        eta = (now - self._start[0]) / done * remaining if done > 0 else 0.0
        self._last = (now, step)
        return rate, eta


def step_line(step, num_steps, metrics, rate, eta, position=""):
    """The console line of one reported step; ``position`` says where a
    growing run is (the trainer's ``position``, e.g. "16x16 alpha 0.500")."""
    growth = f"  {position}" if position else ""
    return (f"step {step}/{num_steps}{growth}  d_loss {metrics['d_loss']:.4f}"
            f"  g_loss {metrics['g_loss']:.4f}  D(x) {metrics['d_real']:+.3f}"
            f"  D(G(z)) {metrics['d_fake']:+.3f}  {rate:.1f} img/s"
            f"  ETA {format_duration(eta)}")


SCALAR_NAMES = {"d_loss": "loss/d", "g_loss": "loss/g", "d_real": "d_output/real",
                "d_fake": "d_output/fake", "ortho_reg": "loss/ortho_reg"}


def step_scalars(metrics, rate):
    """TensorBoard scalars of one reported step: the losses, D's outputs, and
    every other objective term the run has switched on (``objective/<name>``:
    gradient penalty, R1, feature matching, sigma_0 controls, ...). A metric
    whose name holds a "/" is a tag already (a trainer's own, such as
    ``progressive/level``)."""
    scalars = {key if "/" in key else SCALAR_NAMES.get(key, f"objective/{key}"): value
               for key, value in metrics.items()}
    scalars["throughput/img_per_s"] = rate
    return scalars


def singular_values(generator, discriminator):
    """sigma_0 (and sigma_0 / sigma_1) of chosen raw G and D kernels."""
    g, d = generator, discriminator
    layers = {"G/linear": g.linear, "G/out_conv": g.out_conv,
              f"G/{g.blocks[0].name}_conv1": g.blocks[0].conv1,
              f"D/{d.blocks[0].name}_conv1": d.blocks[0].conv1,
              "D/linear": d.linear, "D/embed": d.embed}
    values = {}
    for name, layer in layers.items():
        if layer is None:  # an unconditional D has no projection
            continue
        s = top_singular_values(tf.convert_to_tensor(layer.kernel), 2).numpy()
        values[f"sigma0/{name}"] = float(s[0])
        if len(s) > 1 and s[1] > 0:
            values[f"sigma_ratio/{name}"] = float(s[0] / s[1])
    return values


def weight_singular_values(models, k=3):
    """{"singular_values/<model>/<weight>/sigma<i>": value}: the top ``k``
    singular values of every weight of rank >= 2 (block power iteration)."""
    values = {}
    for model in models:
        for w in model.trainable_weights:
            if len(w.shape) >= 2:
                for i, s in enumerate(top_singular_values(w, k).numpy()):
                    values[f"singular_values/{w.path}/sigma{i}"] = float(s)
    return values


def learning_rates(g_optimizer, d_optimizer):
    def lr(opt):
        return float(np.asarray(keras.ops.convert_to_numpy(opt.learning_rate)))
    return {"lr/g": lr(g_optimizer), "lr/d": lr(d_optimizer)}


def fixed_grid_inputs(model_config, rows, columns, seed):
    """Fixed z (truncnorm(-2, 2)) and y (one row per class) for sample grids.

    Rows are min(rows, num_classes) classes spread evenly over the label range.
    Returns z float32 [rows*columns, z_dim], y float32 [rows*columns, classes],
    and the number of rows.
    """
    rows = min(rows, model_config.num_classes)
    classes = np.round(np.linspace(0, model_config.num_classes - 1, rows)).astype(int)
    labels = np.repeat(classes, columns)
    z = tfhub_truncated_z(len(labels), model_config.z_dim, 1.0, seed=seed + GRID_SEED_OFFSET)
    return z, one_hot(labels, model_config.num_classes), rows
