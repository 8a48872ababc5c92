"""The one convention of the project's command lines.

``python -m tfbiggan.train``, ``tfbiggan.evaluate``, ``tfbiggan.summary``,
``hub_export.export``, ``hub_export.import_weights``, ``hub_export.tflite``,
``hub_export.tfjs`` and ``hub_export.web`` all run through ``run_command``:

- Flags are parsed once, on a FlagValues of the command's own (flagfiles
  included); ``--help`` prints them.
- A problem with the input (a flag, a path, data, a run directory, a missing
  tool) prints one line ``error: <what is wrong>; <what to do>`` on stderr and
  exits 2, before anything is written (``EXIT_BAD_INPUT``).
- A result that fails its own check (a conversion outside its tolerance, a
  page that draws nothing) prints one ``error:`` line and exits 1. The
  export commands are made by ``hub_export.command.export_command``, which
  holds their shared choices.
- Training adds its own codes (``tfbiggan.train.main``): 3 a non-finite loss,
  4 a checkpoint could not be written, 5 a worker of the cluster was lost,
  128 + N stopped by signal N after saving.
- Anything else is a bug and keeps its traceback.

Extra lines of detail (a converter's output) follow the ``error:`` line,
indented.
"""
import dataclasses
import sys
from typing import Callable, Optional

from tfbiggan.errors import InputError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

HELP_FLAGS = ("--help", "-h", "--helpshort", "--helpfull", "-help")

# Errors that mean "fix what you gave the command", for every command.
BAD_INPUT = (InputError, FileNotFoundError, FileExistsError, NotADirectoryError,
             IsADirectoryError)


class CommandFailed(RuntimeError):
    """The command ran but its result failed a check (exit 1 unless ``code``)."""

    def __init__(self, message, code=EXIT_FAILED):
        super().__init__(message)
        self.code = code


@dataclasses.dataclass(frozen=True)
class Command:
    """A command line: its name, flags and body.

    Attributes:
      name: ``python -m <name>``.
      define_flags: callable(FlagValues) that defines every flag.
      body: callable(FlagValues, positional args) -> exit code or None (0).
      usage: one line shown by ``--help`` and with bad positional arguments.
      bad_input: more exception types this command reports as bad input.
      codes: {exception type: exit code} of the command's own failures.
      positional: names of the positional arguments it takes (evaluate's
        subcommand); any other positional argument is bad input.
    """
    name: str
    define_flags: Callable
    body: Callable
    usage: str = ""
    bad_input: tuple = ()
    codes: dict = dataclasses.field(default_factory=dict)
    positional: tuple = ()

    def flag_values(self):
        """A new FlagValues holding this command's flags (nothing parsed)."""
        from absl import flags
        fv = flags.FlagValues()
        self.define_flags(fv)
        return fv

    def flag_names(self):
        """Every flag this command accepts (for the tests that check that a
        message only suggests real flags)."""
        fv = self.flag_values()
        return set(fv) | {"flagfile", "help"}


def error_lines(error):
    """The ``error:`` line and the indented detail lines of an exception."""
    text = str(error) or type(error).__name__
    first, *rest = text.strip().splitlines() or [type(error).__name__]
    return [f"error: {first.strip()}"] + [f"  {line}" for line in rest if line.strip()]


def report(error, stream=None):
    """Prints ``error`` by the convention."""
    stream = stream or sys.stderr
    print("\n".join(error_lines(error)), file=stream, flush=True)


def _parse(command, argv):
    """(FlagValues, positional args) of argv; InputError for a bad flag."""
    from absl import flags
    fv = command.flag_values()
    try:
        rest = fv(list(argv))
    except flags.CantOpenFlagFileError as error:
        reason = str(error).split("Unable to open flagfile:", 1)[-1].strip()
        raise InputError(f"--flagfile cannot be read: {reason}.") from None
    except flags.Error as error:
        message = " ".join(str(error).split())
        raise InputError(f"{message} (python -m {command.name} --help lists the "
                         "flags).") from None
    positional = rest[1:]
    if len(positional) > len(command.positional):
        extra = positional[len(command.positional):]
        usage = command.usage or f"python -m {command.name} --help lists the flags"
        raise InputError(f"unexpected argument{'s' * (len(extra) > 1)} "
                         f"{' '.join(map(repr, extra))}; {usage}.")
    return fv, positional


def run_command(command, argv=None, stream=None) -> int:
    """Runs ``command`` on ``argv`` (``sys.argv`` by default); returns the exit code.

    Nothing is printed on stdout by this function itself; errors go to
    ``stream`` (stderr by default) by the convention above.
    """
    from absl import flags
    argv = list(sys.argv if argv is None else argv)
    if not flags.FLAGS.is_parsed():  # absl logging warns until the global FLAGS are
        flags.FLAGS.mark_as_parsed()
    if any(arg in HELP_FLAGS for arg in argv[1:]):
        fv = command.flag_values()
        print(f"{command.usage or 'python -m ' + command.name}\n\n"
              f"{fv.get_help(include_special_flags=False)}")
        return EXIT_OK
    bad_input = BAD_INPUT + tuple(command.bad_input)
    try:
        fv, positional = _parse(command, argv)
        code = command.body(fv, positional)
    except CommandFailed as error:
        report(error, stream)
        return error.code
    except bad_input as error:
        report(error, stream)
        return EXIT_BAD_INPUT
    except tuple(command.codes) as error:
        report(error, stream)
        return next(c for t, c in command.codes.items() if isinstance(error, t))
    return EXIT_OK if code is None else int(code)


def entry_point(command: Command, argv: Optional[list] = None):
    """``sys.exit(run_command(command))``: what ``python -m`` calls."""
    sys.exit(run_command(command, argv))
