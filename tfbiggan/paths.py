"""Checks on the paths a command is given, made before anything is written.

``refuse_overlap`` keeps an output away from the inputs it is made from: an
export written over its own training run, or a converter writing into the
SavedModel it reads, would destroy the input (``--overwrite`` replaces the
whole output folder). ``check_writable_folder`` names a folder that is a file
or cannot be written. Both raise ``PathError`` (an ``InputError``: one
``error:`` line, exit 2).

Local paths are compared after resolving symbolic links; URLs (``gs://...``)
by their text.
"""
import os

from tfbiggan.errors import InputError


class PathError(InputError):
    """An output that overlaps an input, or a folder that cannot be used."""


def _is_url(path):
    return "://" in str(path)


def _resolved(path):
    path = os.fspath(path)
    return path.rstrip("/") if _is_url(path) else os.path.realpath(os.path.expanduser(path))


def relation(a, b):
    """How path ``a`` stands to path ``b``: "is", "inside", "contains" or None."""
    a, b = _resolved(a), _resolved(b)
    if a == b:
        return "is"
    if a.startswith(b.rstrip("/") + "/"):
        return "inside"
    if b.startswith(a.rstrip("/") + "/"):
        return "contains"
    return None


_WORDS = {"is": "is the same path as", "inside": "lies inside",
          "contains": "contains"}


def refuse_overlap(output_flag, output, inputs, allowed_inside=()):
    """PathError if ``output`` is, contains or lies inside one of ``inputs``.

    Args:
      output_flag: the output's flag name, e.g. ``"--output"``.
      output: the output path.
      inputs: ``[(flag name, path or None), ...]``; None entries are skipped.
      allowed_inside: paths inside an input where writing is by design (a
        run's ``eval/`` folder); the output may be one of them or lie inside.
    """
    if not output:
        return
    if any(relation(output, place) in ("is", "inside") for place in allowed_inside):
        return
    for flag, path in inputs:
        if not path:
            continue
        how = relation(output, path)
        if how is not None:
            raise PathError(
                f"{output_flag}={output} {_WORDS[how]} {flag}={path}: writing there "
                f"would {'replace' if how != 'inside' else 'change'} the input. Choose "
                f"an {output_flag} outside {flag}, and not a folder that holds it.")


def _nearest_existing(path):
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_writable_folder(flag, path):
    """PathError unless ``path`` is (or can be made as) a writable folder.

    Creates nothing: a folder that does not exist yet is judged by its
    nearest existing parent. Read-only filesystems are caught for root too
    (``os.access`` asks the kernel). URLs are not checked here.
    """
    if not path or _is_url(path):
        return
    target = os.path.abspath(os.path.expanduser(os.fspath(path)))
    existing = _nearest_existing(target)
    if existing != target and not os.path.isdir(existing):
        raise PathError(f"{flag}={path} cannot be made: {existing} is a file, not a "
                        f"folder. Choose another {flag}.")
    if existing == target and not os.path.isdir(target):
        raise PathError(f"{flag}={path} is a file, not a folder. Choose another "
                        f"{flag} (a new or existing folder).")
    if not os.access(existing, os.W_OK | os.X_OK):
        reason = ("the filesystem is read-only" if _read_only(existing)
                  else "permission denied")
        where = "" if existing == target else f" (its parent {existing})"
        raise PathError(f"{flag}={path} cannot be written{where}: {reason}. Choose a "
                        f"{flag} on a writable disk, or fix the folder's permissions.")


def _read_only(path):
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False
