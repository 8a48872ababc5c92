"""Atomic publication of an export folder.

The export is written to a hidden ``.NAME.tmp-<pid>-*`` folder beside
``output``, checked, then renamed into place; an old export (only with
``--overwrite``) is moved aside as ``.NAME.old-<pid>-*`` and deleted once the
new one is in place, so ``output`` is always either the old complete export or
the new one. The leftovers of a killed export are cleaned up by the next.
"""
import contextlib
import os
import shutil
import tempfile


def _non_empty(path):
    return os.path.isdir(path) and bool(os.listdir(path)) or (
        os.path.exists(path) and not os.path.isdir(path))


def check_output(output, overwrite):
    """Raises FileExistsError when ``output`` exists, is not empty and may not be replaced."""
    if _non_empty(output) and not overwrite:
        raise FileExistsError(f"{output!r} exists and is not empty; pass --overwrite to "
                              "replace it, or choose another --output.")
    if os.path.exists(output) and not os.path.isdir(output):
        raise FileExistsError(f"{output!r} is a file, not a folder.")


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_staging(output, log=print):
    """Cleans up after exports to ``output`` that were killed.

    Staging folders are named ``.NAME.tmp-<pid>-*`` and, while ``publish``
    swaps an old export out, ``.NAME.old-<pid>-*``. Those of processes that no
    longer run are removed; if the kill came between the two renames of
    ``publish`` (``output`` missing, its old copy aside), the old copy is put
    back first, so a killed export never loses the previous one.
    """
    output = os.path.abspath(output)
    parent, name = os.path.dirname(output), os.path.basename(output)
    if not os.path.isdir(parent):
        return
    for entry in sorted(os.listdir(parent)):
        for kind in ("old", "tmp"):
            prefix = f".{name}.{kind}-"
            if not entry.startswith(prefix):
                continue
            pid = entry[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and _process_alive(int(pid)):
                continue
            path = os.path.join(parent, entry)
            if kind == "old" and not os.path.exists(output):
                os.rename(path, output)
                log(f"restored {output} from {path}, left by a killed export")
            else:
                shutil.rmtree(path, ignore_errors=True)
                log(f"removed {path}, left by a killed export")


@contextlib.contextmanager
def staging_dir(output, log=print):
    """A fresh temporary folder beside ``output``; removed on error.

    Leftovers of killed exports to the same ``output`` are cleaned up first.
    """
    output = os.path.abspath(output)
    parent = os.path.dirname(output)
    os.makedirs(parent, exist_ok=True)
    remove_stale_staging(output, log)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.tmp-{os.getpid()}-",
                           dir=parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a model is for sharing
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish(tmp, output, overwrite):
    """Renames the finished ``tmp`` to ``output``.

    An old non-empty ``output`` (only with ``overwrite``) is first renamed
    aside, then deleted once the new one is in place, so ``output`` is always
    either the old complete export or the new one.
    """
    output = os.path.abspath(output)
    check_output(output, overwrite)
    old = None
    if os.path.isdir(output):
        if os.listdir(output):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.old-{os.getpid()}-",
                                   dir=os.path.dirname(output))
            os.rmdir(old)
            os.rename(output, old)
        else:
            os.rmdir(output)
    try:
        os.rename(tmp, output)
    except BaseException:
        if old is not None:
            os.rename(old, output)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return output


def directory_size(path):
    """Total size in bytes of the files under ``path``."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)
