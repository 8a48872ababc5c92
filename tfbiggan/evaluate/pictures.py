"""Pictures of a generator: class grids and class interpolations as PNGs."""
import os

import numpy as np

from tfbiggan.evaluate.generate import GeneratorRunner
from tfbiggan.evaluate.png import save_image_grid
from tfbiggan.sampling import one_hot, sample_latents
from tfbiggan.truncation import check_truncation


def class_grid(generator, classes, samples_per_class, truncation, seed=0,
               runner=None):
    """One row per class, the same latents in every row.

    Returns:
      images float32 [len(classes) * samples_per_class, R, R, 3], row-major
      (row i is class classes[i]).
    """
    cfg = generator.config
    classes = [int(c) for c in classes]
    z = sample_latents(samples_per_class, cfg.z_dim, truncation, seed)
    z = np.tile(z, (len(classes), 1))
    labels = np.repeat(np.asarray(classes, np.int64), samples_per_class)
    runner = runner or GeneratorRunner(generator)
    return runner(z, one_hot(labels, cfg.num_classes), truncation)


def save_class_grids(generator, truncations, output_dir, classes=None,
                     samples_per_class=8, seed=0, scale=2, prefix="grid"):
    """Writes one PNG per truncation (rows = classes, columns = samples).

    Returns:
      list of paths ``<output_dir>/<prefix>_t<t>.png`` (t = "none" for None).
    """
    classes = list(range(generator.config.num_classes)) if classes is None else classes
    runner = GeneratorRunner(generator)
    paths = []
    for t in truncations:
        t = check_truncation(t)
        images = class_grid(generator, classes, samples_per_class, t, seed, runner)
        tag = "none" if t is None else f"{t:.2f}"
        paths.append(save_image_grid(
            images, os.path.join(output_dir, f"{prefix}_t{tag}.png"),
            rows=len(classes), scale=scale))
    return paths


def class_mixes(class_a, class_b, num_steps, num_classes):
    """Soft class vectors from one-hot(a) to one-hot(b): [num_steps, C] float32,
    row k = (1 - k/(S-1)) * onehot(a) + k/(S-1) * onehot(b)."""
    if num_steps < 2:
        raise ValueError(f"num_steps must be >= 2, got {num_steps}.")
    alpha = np.linspace(0.0, 1.0, num_steps, dtype=np.float32)[:, None]
    a = one_hot([class_a], num_classes)
    b = one_hot([class_b], num_classes)
    mix = (1.0 - alpha) * a + alpha * b
    mix[0], mix[-1] = a[0], b[0]  # exact endpoints despite rounding
    return mix


def class_interpolation(generator, class_a, class_b, num_steps=8, truncation=None,
                        z=None, seed=0, runner=None):
    """Images for a fixed z while y moves from class_a to class_b.

    Args:
      z: [z_dim] or [1, z_dim] latent; default one drawn for `truncation`.

    Returns:
      images float32 [num_steps, R, R, 3]; the first is generator(z,
      onehot(a)), the last generator(z, onehot(b)).
    """
    cfg = generator.config
    if z is None:
        z = sample_latents(1, cfg.z_dim, truncation, seed)
    z = np.asarray(z, np.float32).reshape(1, cfg.z_dim)
    y = class_mixes(class_a, class_b, num_steps, cfg.num_classes)
    runner = runner or GeneratorRunner(generator)
    return runner(np.repeat(z, num_steps, axis=0), y, truncation)


def save_interpolation_strips(generator, pairs, output_path, num_steps=8,
                              truncation=None, num_latents=2, seed=0, scale=2):
    """One strip (row) per (class pair, latent); columns go from a to b.

    Returns:
      the PNG path; rows = len(pairs) * num_latents.
    """
    cfg = generator.config
    runner = GeneratorRunner(generator)
    latents = sample_latents(num_latents, cfg.z_dim, truncation, seed)
    rows = [class_interpolation(generator, a, b, num_steps, truncation, z=z,
                                runner=runner)
            for a, b in pairs for z in latents]
    return save_image_grid(np.concatenate(rows), output_path, rows=len(rows),
                           scale=scale)
