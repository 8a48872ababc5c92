"""Every ``--flag`` a message suggests exists.

The command-line tables (test_cli_bad_inputs.py, test_cli_outputs.py,
test_cli_generated.py) check each printed ``error:`` line against the flags
of the command that printed it. This test reads the source: every ``--name``
in a string of the package (docstrings aside) must be a flag of some
command, and in the training modules a flag of ``tfbiggan.train`` unless the
string names the other command (``python -m tfbiggan.evaluate standing
--model_dir=...``), because only that command prints them.
"""
import ast
import os

import pytest

from cli_helpers import COMMANDS, REPO, suggested_flags

PACKAGES = ("tfbiggan", "hub_export")


def _commands():
    import importlib
    return {name: importlib.import_module(module).COMMAND for name, module in COMMANDS.items()}


def _strings(path):
    """(line, text) of every string constant of a module but its docstrings."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(
                    getattr(body[0], "value", None), ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            yield node.lineno, node.value


def _modules():
    for package in PACKAGES:
        for root, _, names in os.walk(os.path.join(REPO, package)):
            for name in names:
                if name.endswith(".py"):
                    yield os.path.join(root, name)


def test_every_suggested_flag_exists():
    commands = _commands()
    every = set().union(*(c.flag_names() for c in commands.values()))
    train = commands["tfbiggan.train"].flag_names()
    problems = []
    for path in _modules():
        relative = os.path.relpath(path, REPO)
        training = relative.startswith(os.path.join("tfbiggan", "train"))
        for line, text in _strings(path):
            if " " not in text.strip():  # an argv element of another program
                continue
            flags = {f[2:] if f.startswith("no") and f[2:] in every else f
                     for f in suggested_flags(text)}
            unknown = flags - every
            if training and "python -m" not in text:
                unknown |= flags - train
            if unknown:
                problems.append(f"{relative}:{line}: {sorted(unknown)} in {text[:80]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_lists_the_flags(name, capsys):
    from tfbiggan.cli import run_command
    command = _commands()[name]
    assert run_command(command, [name, "--help"]) == 0
    text = capsys.readouterr().out
    for flag in command.flag_values():
        assert f"--{flag}" in text or f"--[no]{flag}" in text, flag
