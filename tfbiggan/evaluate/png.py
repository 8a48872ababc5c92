"""Pictures people look at: sample grids as PNG files.

Images are float arrays [N, H, W, 3] (or [N, H, W, 1]) in [-1, 1], converted to
uint8 exactly as tfhub.dev users do: clip(((x + 1) / 2) * 256, 0, 255).
"""
import io

import numpy as np

from tfbiggan.run.files import atomic_write


def to_uint8(images):
    """[-1, 1] floats -> uint8, the tfhub.dev BigGAN convention."""
    return np.clip(((np.asarray(images, np.float32) + 1.0) / 2.0) * 256.0,
                   0, 255).astype(np.uint8)


def make_grid(images, rows, padding=2, pad_value=255):
    """Tiles [N, H, W, C] images (N = rows * cols) into one [rows*H', cols*W', C]
    uint8 image with ``padding`` pixels between tiles."""
    images = to_uint8(images)
    if images.ndim != 4:
        raise ValueError(f"images must be [N, H, W, C], got shape {images.shape}.")
    n, h, w, c = images.shape
    if rows < 1 or n % rows:
        raise ValueError(f"{n} images do not fill {rows} rows evenly.")
    cols = n // rows
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c),
                   pad_value, np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + k * (w + padding)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def encode_png(array):
    """uint8 [H, W, C] -> PNG bytes (C in 1, 3, 4)."""
    import matplotlib.image  # imported here: matplotlib is slow to import
    buffer = io.BytesIO()
    matplotlib.image.imsave(buffer, array[..., 0] if array.shape[-1] == 1 else array,
                            format="png", cmap="gray" if array.shape[-1] == 1 else None)
    return buffer.getvalue()


def save_image_grid(images, path, rows, padding=2, scale=1):
    """Writes a PNG grid of [-1, 1] images atomically; returns the path.

    ``scale`` > 1 enlarges each pixel (nearest) so small images are legible.
    """
    grid = make_grid(images, rows, padding)
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return atomic_write(path, encode_png(grid))
