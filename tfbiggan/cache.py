"""Where tfbiggan keeps files it can rebuild: dataset classifiers, reference
statistics, and the default place to look for the Inception network.

The root is ``$TFBIGGAN_CACHE_DIR`` when set, else ``~/.cache/tfbiggan``; an
explicit ``cache_dir`` argument (a ``--cache_dir`` flag) wins over both.
"""
import os

CACHE_DIR_ENV = "TFBIGGAN_CACHE_DIR"
DEFAULT_CACHE_DIR = os.path.join("~", ".cache", "tfbiggan")


def cache_root(cache_dir=None):
    """``cache_dir``, else $TFBIGGAN_CACHE_DIR, else ~/.cache/tfbiggan (absolute)."""
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR
    return os.path.abspath(os.path.expanduser(os.fspath(cache_dir)))
