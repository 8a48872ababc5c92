"""Declaring a setting once: a dataclass field that carries its own help.

Config dataclasses (``TrainConfig``, ``DataSpec``, the families' schedules)
declare each field with ``setting(default, help)``; the command line
(``tfbiggan.train.main``) makes one flag per field from it, type, default and
help included. Model configs describe their fields in the ``Attributes:``
section of their docstring instead (``field_help``), which their flags use.
"""
import dataclasses
import re


def setting(default, help_text, **metadata):
    """A dataclass field whose flag has ``help_text``.

    Metadata the flags read: ``choices`` (an enum flag), ``item`` (int or
    float: a tuple setting given as a comma-separated list), ``flag`` (the
    flag's name when it is not the field's).
    """
    return dataclasses.field(default=default, metadata={"help": help_text, **metadata})


def field_help(cls):
    """{field: its description} from the ``Attributes:`` section of a
    dataclass's docstring (``name: text`` or ``a, b: text`` entries)."""
    doc = cls.__doc__ or ""
    if "Attributes:" not in doc:
        return {}
    entries, current = {}, None
    for line in doc.split("Attributes:", 1)[1].splitlines():
        match = re.match(r"^\s{4,8}([a-z_][a-z0-9_, ]*):\s*(.*)$", line)
        if match:
            current = [n.strip() for n in match.group(1).split(",")]
            for name in current:
                entries[name] = match.group(2).strip()
        elif current and line.strip():
            for name in current:
                entries[name] += " " + line.strip()
        else:
            current = None
    return {name: " ".join(text.split()) for name, text in entries.items()}
