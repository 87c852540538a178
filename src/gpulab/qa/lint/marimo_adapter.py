"""The one door to marimo's private parser and lint engine.

marimo's notebook parser (`marimo._ast`) and its rule engine (`marimo._lint`) are not public API.
Everything gpulab needs from them goes through this module, so a marimo release that moves them
breaks here, once, with `MarimoChangedError` naming the supported version, instead of as a
traceback somewhere inside a rule.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import dataclasses
import functools
import inspect
import io
import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SUPPORTED_MARIMO = ">=0.25.2,<0.26"

# marimo's own rules that gpulab runs: the breaking ones and the runtime ones. The formatting
# (MF) rules are about file layout and the WASM (MW) ones about Pyodide; neither finds bugs here.
MARIMO_RULE_PREFIXES = ("MB", "MR")

CellKind = Literal["cell", "function", "class", "setup", "unparsable"]
LoadStatus = Literal["notebook", "not-a-notebook", "syntax-error"]


class MarimoChangedError(RuntimeError):
    """marimo's private parser or lint engine no longer looks the way this adapter expects."""


def _changed(what: str, err: BaseException) -> MarimoChangedError:
    return MarimoChangedError(
        f"marimo {marimo_version()} changed its private {what} ({type(err).__name__}: {err}); "
        f"gpulab lint supports marimo{SUPPORTED_MARIMO}: install that version or update "
        "gpulab/qa/lint/marimo_adapter.py"
    )


def marimo_version() -> str:
    try:
        import marimo

        return str(marimo.__version__)
    except Exception:  # pragma: no cover - marimo missing entirely
        return "(not installed)"


@dataclass(frozen=True)
class ParsedCell:
    """One cell as marimo's parser sees it: dedented code plus where marimo says it starts."""

    name: str
    code: str
    kind: CellKind
    marimo_lineno: int
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedNotebook:
    header: str
    cells: tuple[ParsedCell, ...]
    contents: str
    # marimo's own intermediate representation, only ever handed back to this module.
    ir: Any = field(repr=False, compare=False, default=None)


@dataclass(frozen=True)
class LoadOutcome:
    status: LoadStatus
    notebook: ParsedNotebook | None = None
    message: str = ""
    line: int = 1


@dataclass(frozen=True)
class MarimoRuleInfo:
    code: str
    name: str
    description: str
    breaking: bool
    doc: str


@dataclass(frozen=True)
class MarimoDiagnostic:
    code: str
    name: str
    message: str
    # Lines as marimo reports them (a diagnostic may name several places, e.g. MB002).
    lines: tuple[int, ...]
    fix: str = ""


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """marimo's parser prints and logs while it works; a linter must not."""
    logger = logging.getLogger("marimo")
    previous = logger.disabled
    logger.disabled = True
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.disabled = previous


@functools.cache
def _internals() -> dict[str, Any]:
    """Import every private name once; fail with one clear message if any moved."""
    try:
        from marimo._ast.codegen import generate_filecontents_from_ir
        from marimo._ast.load import get_notebook_status
        from marimo._ast.parse import MarimoFileError
        from marimo._ast.variables import is_local
        from marimo._ast.visitor import ScopedVisitor
        from marimo._lint.rule_engine import RuleEngine
        from marimo._lint.rules import RULE_CODES
        from marimo._lint.rules.base import LintRule
        from marimo._schemas.serialization import (
            ClassCell,
            FunctionCell,
            SetupCell,
            UnparsableCell,
        )
    except (ImportError, AttributeError) as err:
        raise _changed("parser modules", err) from err
    return {
        "ScopedVisitor": ScopedVisitor,
        "is_local": is_local,
        "get_notebook_status": get_notebook_status,
        "generate_filecontents_from_ir": generate_filecontents_from_ir,
        "MarimoFileError": MarimoFileError,
        "RuleEngine": RuleEngine,
        "RULE_CODES": RULE_CODES,
        "LintRule": LintRule,
        "ClassCell": ClassCell,
        "FunctionCell": FunctionCell,
        "SetupCell": SetupCell,
        "UnparsableCell": UnparsableCell,
    }


def _cell_kind(cell: Any, m: Mapping[str, Any]) -> CellKind:
    if isinstance(cell, m["UnparsableCell"]):
        return "unparsable"
    if isinstance(cell, m["SetupCell"]):
        return "setup"
    if isinstance(cell, m["FunctionCell"]):
        return "function"
    if isinstance(cell, m["ClassCell"]):
        return "class"
    return "cell"


def load(path: Path) -> LoadOutcome:
    """Parse `path` with marimo's own parser; never raises for bad input, only for a changed marimo."""
    m = _internals()
    try:
        with _quiet():
            result = m["get_notebook_status"](str(path))
    except SyntaxError as err:
        return LoadOutcome("syntax-error", message=err.msg or str(err), line=err.lineno or 1)
    except m["MarimoFileError"] as err:
        return LoadOutcome("not-a-notebook", message=str(err) or "not a marimo notebook")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return LoadOutcome("not-a-notebook", message=f"cannot read it: {err}")
    try:
        status = result.status
        ir = result.notebook
        if status == "empty" or ir is None:
            return LoadOutcome("not-a-notebook", message="it has no marimo cells")
        if status == "invalid":
            return LoadOutcome(
                "not-a-notebook", message="it has no `app = marimo.App()` and no `@app.cell`"
            )
        cells = tuple(
            ParsedCell(
                name=str(cell.name),
                code=str(cell.code),
                kind=_cell_kind(cell, m),
                marimo_lineno=int(cell.lineno),
                options=dict(cell.options or {}),
            )
            for cell in ir.cells
        )
        header = str(ir.header.value) if ir.header is not None else ""
        contents = str(result.contents or "")
    except AttributeError as err:
        raise _changed("notebook representation", err) from err
    return LoadOutcome("notebook", ParsedNotebook(header, cells, contents, ir))


def saved_form(notebook: ParsedNotebook) -> str | None:
    """The file marimo's editor writes when it saves this notebook unchanged (its code generator
    over the parsed cells); None when marimo cannot regenerate it (e.g. unparsable cells)."""
    m = _internals()
    if notebook.ir is None:
        return None
    try:
        with _quiet():
            return str(m["generate_filecontents_from_ir"](notebook.ir))
    except (ValueError, SyntaxError, TypeError):
        return None
    except AttributeError as err:
        raise _changed("code generator", err) from err


# Cells compiled while one notebook is linted, by code: see `shared_compilation`.
_compiled: dict[str, Any] | None = None


@contextlib.contextmanager
def shared_compilation() -> Iterator[None]:
    """Compile each cell once while one notebook is linted.

    marimo's code generator (`saved_form`) and its lint engine's dependency graph each compile
    every cell (parse, scope analysis, bytecode); this hands the second a copy of the first's
    result under its own cell id, and `cell_names` reads the names from it. What they compute
    is unchanged (the compiled code is never run); a third of marimo's time is saved.
    """
    global _compiled
    modules = [_module(name) for name in _COMPILE_CELL_USERS]
    original = modules[0].compile_cell
    cache: dict[str, Any] = {}

    def compile_once(code: str, cell_id: Any, *args: Any, **kwargs: Any) -> Any:
        if args or any(value not in (None, False) for value in kwargs.values()):
            return original(code, cell_id, *args, **kwargs)  # a source position, a test run
        cell = cache.get(code)
        if cell is None:
            cell = cache[code] = original(code, cell_id)
        return cell if cell.cell_id == cell_id else dataclasses.replace(cell, cell_id=cell_id)

    for module in modules:
        module.compile_cell = compile_once
    _compiled = cache
    try:
        yield
    finally:
        _compiled = None
        for module in modules:
            module.compile_cell = original


_COMPILE_CELL_USERS = ("marimo._ast.compiler", "marimo._ast.toplevel", "marimo._ast.codegen")


def _module(name: str) -> Any:
    import importlib

    try:
        module = importlib.import_module(name)
        module.compile_cell  # noqa: B018 - fail here, not inside a rule, if it moved
    except (ImportError, AttributeError) as err:
        raise _changed("cell compiler", err) from err
    return module


def cell_names(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """The global names a cell defines and reads, by marimo's own scoping rules (the visitor
    marimo's compiler uses; underscore-prefixed names are cell-local).

    The visitor renames cell-local names in the tree it walks, so it gets its own parse.
    Raises SyntaxError for code that does not parse.
    """
    m = _internals()
    compiled = _compiled.get(code) if _compiled is not None else None
    if compiled is not None:
        return frozenset(compiled.defs), frozenset(compiled.refs)
    tree = ast.parse(code)
    try:
        visitor = m["ScopedVisitor"]("cell_gpulab")
        with _quiet():
            visitor.visit(tree)
        defs = frozenset(name for name in visitor.defs if not m["is_local"](name))
        return defs, frozenset(visitor.refs)
    except (AttributeError, TypeError) as err:
        raise _changed("cell scoping visitor", err) from err


def marimo_rules() -> list[MarimoRuleInfo]:
    """marimo's breaking and runtime rules, with their docstrings as documentation."""
    m = _internals()
    infos = []
    try:
        for code, rule_class in sorted(m["RULE_CODES"].items()):
            if not code.startswith(MARIMO_RULE_PREFIXES):
                continue
            infos.append(
                MarimoRuleInfo(
                    code=code,
                    name=str(rule_class.name),
                    description=str(rule_class.description),
                    breaking=code.startswith("MB"),
                    doc=inspect.cleandoc(rule_class.__doc__ or ""),
                )
            )
    except AttributeError as err:
        raise _changed("lint rule registry", err) from err
    return infos


def run_marimo_rules(
    notebook: ParsedNotebook,
    codes: Collection[str],
    trees: Sequence[ast.Module | None] | None = None,
) -> list[MarimoDiagnostic]:
    """Run the named marimo rules on a parsed notebook, lines mapped to real file lines.
    `trees`, the cells already parsed (None where a cell does not parse), saves parsing them
    again to decide whether MR003 can fire."""
    if notebook.ir is None:
        return []
    if not _has_reusable_candidate(notebook, trees):
        # MR003 recompiles every cell and re-parses the whole file per cell (40% of a lint
        # run); it can only fire on a cell that is, or could be, one reusable def/class.
        codes = [code for code in codes if code != "MR003"]
    if not codes:
        return []
    m = _internals()
    try:
        engine = m["RuleEngine"]([m["RULE_CODES"][code]() for code in sorted(codes)])
        with _quiet():
            diagnostics = asyncio.run(engine.check_notebook(notebook.ir, notebook.contents))
        out = []
        for diagnostic in diagnostics:
            lines = diagnostic.line if isinstance(diagnostic.line, list) else [diagnostic.line]
            out.append(
                MarimoDiagnostic(
                    code=str(diagnostic.code),
                    name=str(diagnostic.name),
                    message=str(diagnostic.message),
                    lines=tuple(int(line) for line in lines),
                    fix=str(diagnostic.fix or ""),
                )
            )
    except (AttributeError, KeyError, TypeError) as err:
        raise _changed("lint engine", err) from err
    return out


def _has_reusable_candidate(
    notebook: ParsedNotebook, trees: Sequence[ast.Module | None] | None = None
) -> bool:
    """Whether some cell is an `@app.function`/`@app.class_definition`, or holds nothing but one
    function or class definition (what marimo's MR003 examines)."""
    for index, cell in enumerate(notebook.cells):
        if cell.kind in ("function", "class"):
            return True
        try:
            tree = trees[index] if trees is not None else ast.parse(cell.code)
        except SyntaxError:
            continue
        if tree is None:
            continue
        body = tree.body
        definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if len(body) == 1 and isinstance(body[0], definitions):
            return True
    return False


@functools.cache
def marimo_reports_lines_from_decorator() -> bool:
    """Whether marimo's rules count a cell's code lines from its `def` line, not its first line.

    marimo 0.25 reports `cell.lineno + n - 1` for line n of a cell's code, where `cell.lineno` is
    the `def _():` line, so every diagnostic lands one line above the code it means. Measured here
    on a two-cell notebook rather than assumed, so a marimo fix cannot make our lines wrong.
    """
    probe = (
        "import marimo\n"
        "app = marimo.App()\n\n\n"
        "@app.cell\n"
        "def _():\n"
        "    if True:\n"
        "        1\n"
        "    return\n"
    )
    m = _internals()
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.py"
        path.write_text(probe, encoding="utf-8")
        outcome = load(path)
    if outcome.notebook is None:
        raise _changed("parser", ValueError("a minimal notebook did not parse"))
    found = run_marimo_rules(
        outcome.notebook, [code for code in m["RULE_CODES"] if code == "MR002"]
    )
    if not found:
        return True
    # The `if` is on line 7 of the file; marimo 0.25 says 6.
    return found[0].lines[0] == 6
