"""Imports only run down the layers: toolkit <- workloads <- benchmarks / ui / qa <- notebooks / cli.

Read with `ast` from the source, lazy imports inside functions included, so a layer cannot reach
up by importing late. Groups on the same level (benchmarks, ui, qa) do not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "gpulab"

# Top-level modules that are entry points (the command line and what only it uses).
ENTRY_MODULES = {"cli", "bench_cli", "deploy", "doctor", "serve", "telemetry_cli", "template"}
LEVEL_OF_GROUP = {"toolkit": 0, "workloads": 1, "benchmarks": 2, "ui": 2, "qa": 2, "entry": 3}


def group_of(module: str) -> str:
    """The layer group of a dotted module name inside gpulab."""
    parts = module.split(".")
    if len(parts) == 1:  # `gpulab` itself
        return "toolkit"
    head = parts[1]
    if head in ("workloads", "benchmarks", "ui", "qa"):
        return head
    if head in ENTRY_MODULES or head == "templates":
        return "entry"
    return "toolkit"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def gpulab_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of a gpulab module in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "gpulab"]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "gpulab"
        ):
            found.append((node.lineno, node.module))
            # `from gpulab import benchmarks` names a module too
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").exists() or (
        PACKAGE.parent / relative / "__init__.py"
    ).exists()


def violations(path: Path, importer_group: str, shown: str | None = None) -> list[str]:
    level = LEVEL_OF_GROUP[importer_group]
    bad = []
    for line, imported in gpulab_imports(path):
        if not _is_module(imported):
            continue  # a name imported from a module, not a module
        target = group_of(imported)
        too_high = LEVEL_OF_GROUP[target] > level
        sideways = LEVEL_OF_GROUP[target] == level and target != importer_group
        if too_high or sideways:
            where = shown or path.relative_to(ROOT)
            bad.append(f"{where}:{line} ({importer_group}) imports {imported} ({target})")
    return bad


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_its_own_layer_or_below(path: Path) -> None:
    assert violations(path, group_of(module_name(path))) == []


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_never_imports_benchmarks(path: Path) -> None:
    imported = [module for _, module in gpulab_imports(path)]
    assert [m for m in imported if m.startswith("gpulab.benchmarks")] == []


def test_the_checker_catches_an_upward_and_a_sideways_import(tmp_path: Path) -> None:
    upward = tmp_path / "upward.py"
    upward.write_text("def f():\n    from gpulab.workloads import inference\n")
    assert violations(upward, "toolkit", shown="upward.py") == [
        "upward.py:2 (toolkit) imports gpulab.workloads (workloads)",
        "upward.py:2 (toolkit) imports gpulab.workloads.inference (workloads)",
    ]
    sideways = tmp_path / "sideways.py"
    sideways.write_text("from gpulab.benchmarks import available\n")
    assert violations(sideways, "ui", shown="sideways.py") == [
        "sideways.py:1 (ui) imports gpulab.benchmarks (benchmarks)"
    ]
    assert violations(sideways, "entry", shown="sideways.py") == []
