"""Which files are marimo notebooks: one answer for `gpulab lint` and `gpulab test`.

A notebook is a `.py` file with a module-level `app = marimo.App(...)`, as `marimo new` writes
it. A folder stands for the notebooks under it; hidden folders, virtual environments, caches and
build output are not searched. A file named on the command line is returned as it is, so each
command can say in its own way why it is not a notebook.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SKIPPED_FOLDERS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "__marimo__", "venv", "build", "dist"}
)
_APP_LINE = re.compile(r"^app\s*=\s*[\w.]*App\(", re.MULTILINE)


@dataclass(frozen=True)
class Found:
    """A file a command-line path stands for."""

    path: Path
    named: bool  # named on the command line itself, not found in a folder
    notebook: bool


def is_notebook(path: Path) -> bool:
    """A marimo notebook file: Python with a module-level `app = marimo.App(...)`."""
    if path.suffix != ".py" or not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "marimo" in text and bool(_APP_LINE.search(text)) and _assigns_app(text)


def _assigns_app(text: str) -> bool:
    """Whether the `app = ...App(` line is a statement, not text in a string (a test's sample
    notebook). A file that does not parse keeps the benefit of the doubt: it is a broken
    notebook, whose syntax error `gpulab lint` reports and `gpulab test` fails on."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return True
    return any(_is_app_assignment(statement) for statement in tree.body)


def _is_app_assignment(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Assign) or not isinstance(statement.value, ast.Call):
        return False
    called = statement.value.func
    name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", None)
    return name == "App" and any(
        isinstance(target, ast.Name) and target.id == "app" for target in statement.targets
    )


def discover(
    targets: Iterable[Path], excluded: Callable[[Path], bool] | None = None
) -> Iterator[Found]:
    """Every file the paths stand for, each once, in command-line order.

    A named file is itself; a folder is its `.py` files (sorted, recursively) outside skipped
    and hidden folders and not `excluded` (a configured exclusion applies to folders only, so
    naming an excluded file still checks it).
    """
    seen: set[Path] = set()
    for target in targets:
        if target.is_dir():
            files = [(path, False) for path in _python_files(target, excluded)]
        else:
            files = [(target, True)]
        for path, named in files:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                yield Found(path, named, is_notebook(path))


def _python_files(folder: Path, excluded: Callable[[Path], bool] | None) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.py")):
        if _skipped(path.relative_to(folder)) or (excluded is not None and excluded(path)):
            continue
        yield path


def _skipped(relative: Path) -> bool:
    return any(part.startswith(".") or part in SKIPPED_FOLDERS for part in relative.parts[:-1])
