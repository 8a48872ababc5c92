"""The one convention of the export command lines: ``hub_export.export``,
``import_weights``, ``tflite``, ``tfjs`` and ``web``.

Each is a ``tfbiggan.cli.Command`` (flags parsed once, one ``error:`` line)
made here, so all five agree: a problem with what was given (a flag, a
path, a SavedModel without the expected signature, a missing converter) is
bad input and exits 2, as ``tfbiggan.train`` and ``tfbiggan.evaluate`` do;
a result that fails its own check (``RuntimeError``: an export that differs
from the live model, a conversion outside its tolerance, a page that draws
nothing) exits 1.
"""
from tfbiggan.cli import EXIT_FAILED, Command, entry_point

# Besides tfbiggan.cli's own (InputError, missing files, ...).
BAD_INPUT = (ValueError, ImportError)


def export_command(name, define_flags, body, usage, bad_input=()):
    """The Command of one export command line, by the convention above;
    ``bad_input`` adds more exception types that mean bad input."""
    return Command(name, define_flags, body, usage=usage,
                   bad_input=BAD_INPUT + tuple(bad_input), codes={RuntimeError: EXIT_FAILED})


def main(command):
    """What ``python -m`` runs: exits with the command's code."""
    entry_point(command)
