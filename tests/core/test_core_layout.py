"""The package layout keeps its rules: no import circle, imports only go down
(WORKSPACE.md's picture), tfbiggan never imports hub_export, no source file
over 400 lines, and each shared concept is defined in one place."""
import ast
import collections
import os
import re

import pytest

from cli_helpers import REPO

PACKAGES = ("tfbiggan", "hub_export")
# Which part may import which (within tfbiggan); root modules are free to use.
PARTS = ("layers", "models", "run", "metrics", "data", "evaluate", "train")
ALLOWED = {"layers": set(), "models": {"layers"}, "run": {"models", "layers"},
           "metrics": set(), "data": set(),
           "evaluate": {"run", "models", "layers", "metrics", "data"},
           "train": set(PARTS) - {"train"}}


def _modules():
    modules = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(REPO, package)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    module = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".")
                    modules[module.removesuffix(".__init__")] = path
    return modules


def _import_graph(modules):
    graph = collections.defaultdict(set)
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    graph[module].add(name)
    return graph


def _part(module):
    parts = module.split(".")
    return parts[1] if parts[0] == "tfbiggan" and len(parts) > 2 and parts[1] in PARTS \
        else None


def test_imports_have_no_circle_and_only_go_down():
    modules = _modules()
    graph = _import_graph(modules)
    state, cycles = {}, []

    def visit(module, stack):
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if target.startswith(module + "."):   # a package re-exporting its modules
                continue
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = "done"

    for module in sorted(modules):
        if module not in state:
            visit(module, [])
    assert not cycles, cycles
    upward = [(a, b) for a, targets in graph.items() for b in targets
              if a.startswith("tfbiggan") and b.startswith("hub_export")]
    assert not upward, upward
    wrong = [(a, b) for a, targets in graph.items() for b in targets
             if _part(a) and _part(b) and _part(a) != _part(b)
             and _part(b) not in ALLOWED[_part(a)]]
    assert not wrong, wrong


@pytest.mark.parametrize("package", PACKAGES)
def test_no_source_file_is_over_400_lines(package):
    long = {path: n for path in _modules().values() if path.startswith(
        os.path.join(REPO, package)) for n in [sum(1 for _ in open(path))] if n > 400}
    assert not long, long


@pytest.mark.parametrize("pattern, home", [
    (r"\* truncated_normal\(", "tfbiggan/sampling.py"),   # t * truncnorm(-2, 2)
    (r"^NUM_TRUNCATION_POINTS = ", "tfbiggan/truncation.py"),
    (r"^def truncation_grid\(", "tfbiggan/truncation.py"),
    (r"^def tfhub_truncated_z\(", "tfbiggan/sampling.py"),
    (r"^def one_hot\(", "tfbiggan/sampling.py"),
    (r"^def sample_latents\(", "tfbiggan/sampling.py"),
    (r"^def in_chunks\(", "tfbiggan/train/trainer_base.py"),
    (r"^EVAL_BATCH_SIZE = ", "tfbiggan/evaluate/generate.py"),
    (r"^MIN_EVAL_SAMPLES = ", "tfbiggan/evaluate/scoring.py"),
    (r"^__version__ = ", "tfbiggan/__init__.py"),
    (r"^FAMILIES = ", "tfbiggan/families.py"),
    (r"^def setting\(", "tfbiggan/settings.py"),
    (r"^STANDING_BATCHES = ", "tfbiggan/models/biggan/standing.py"),
    (r"^STANDING_BATCH_SIZE = ", "tfbiggan/models/biggan/standing.py"),
    (r"^CONFIG_FILE = ", "tfbiggan/run/layout.py"),
    (r"^EVAL_LOG = ", "tfbiggan/run/layout.py"),
    (r"^BEST_RECORD = ", "tfbiggan/run/layout.py"),
    (r"^def count_parameters\(", "tfbiggan/models/parameters.py"),
    (r"^def cache_root\(", "tfbiggan/cache.py"),
    (r"^def digits_split_indices\(", "tfbiggan/data/arrays.py"),
    (r"^def read_saved_model\(", "hub_export/checks.py"),
    (r'^SIGNATURE = "default"', "hub_export/contract.py"),
])
def test_each_concept_is_defined_once(pattern, home):
    """Its definition (an assignment or a def) is in one module."""
    found = []
    for path in _modules().values():
        with open(path, encoding="utf-8") as f:
            if any(re.search(pattern, line) for line in f):
                found.append(os.path.relpath(path, REPO))
    assert found == [home], found


@pytest.mark.parametrize("pattern, home", [
    (r"4\.22\.0", "hub_export/tfjs.py"),               # TFJS_VERSION
    (r"\b7919\b", "tfbiggan/train/monitor.py"),          # GRID_SEED_OFFSET
    (r"batch_size=100\b|or 100\b|default 100\b", None),  # EVAL_BATCH_SIZE
    # A family's architecture name: its registry entry and its own config.
    (r"\"progan\"|'progan'", ("tfbiggan/families.py", "tfbiggan/models/progan/config.py")),
])
def test_each_value_is_written_once(pattern, home):
    """A value itself, written anywhere in a module (code, strings or
    docstrings), appears only in its home; elsewhere the name is used."""
    found = []
    for path in _modules().values():
        with open(path, encoding="utf-8") as f:
            if re.search(pattern, f.read()):
                found.append(os.path.relpath(path, REPO))
    homes = [] if home is None else [home] if isinstance(home, str) else list(home)
    assert found == homes, found
