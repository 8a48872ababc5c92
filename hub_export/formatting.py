"""How the converters' logs print a feed and a size."""
import numpy as np


def describe_feed(feed):
    """Short text such as ``batch=3 truncation=0.55`` for logs."""
    batch = next((v.shape[0] for v in feed.values() if np.ndim(v)), None)
    scalars = " ".join(f"{k}={float(v):g}" for k, v in feed.items() if np.ndim(v) == 0)
    return f"batch={batch} {scalars}".strip()


def human_size(num_bytes):
    """``1536`` -> ``'1.5 KiB'``."""
    size = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
