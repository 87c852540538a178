"""What rules see (a notebook of cells with their AST and dataflow) and what they report (findings)."""

from __future__ import annotations

import ast
import enum
import inspect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from gpulab.qa.lint.marimo_adapter import CellKind
from gpulab.qa.lint.names import Names

SCOPE_BARRIERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def walk_scope(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node under `nodes` in source order, not entering nested function, lambda or class
    bodies (that code does not run where it is written)."""
    stack = list(reversed(list(nodes)))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, SCOPE_BARRIERS):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


class Severity(enum.Enum):
    """`error` fails the run (exit 1): the notebook crashes, hangs, harms the machine or shows
    nothing. `warning` is a best-practice gap that makes results wrong or the notebook fragile."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    code: str
    name: str
    severity: Severity
    message: str
    cell: str | None = None
    # Last line of the flagged statement: a `# gpulab: ignore[...]` anywhere in [line, end_line]
    # silences the finding, so multi-line calls can carry the comment on their closing line.
    end_line: int = 0

    def sort_key(self) -> tuple[str, int, str]:
        return (self.path, self.line, self.code)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "cell": self.cell,
            "message": self.message,
        }


@dataclass(eq=False)
class Cell:
    """One marimo cell: its code parsed once, where it sits in the file, what it defines and reads."""

    index: int  # 1-based position in the file
    name: str
    code: str
    kind: CellKind
    tree: ast.Module | None  # None when the cell does not parse
    first_line: int  # file line of the code's first line
    defs: frozenset[str] = frozenset()
    refs: frozenset[str] = frozenset()
    options: Mapping[str, Any] = field(default_factory=dict)
    marimo_lineno: int = 0  # where marimo's parser says the cell starts (its own line convention)
    # Parsed with the newer grammar the notebook declares (marimo, on this Python, could not).
    newer_syntax: bool = False
    error_line: int = 0  # file line of the syntax error, for a cell that does not parse
    _scope_cache: dict[int, tuple[list[ast.stmt], list[ast.AST]]] = field(
        default_factory=dict, repr=False
    )

    @property
    def label(self) -> str:
        """The name a reader finds in the editor: the function name, or the cell's position."""
        if self.kind == "setup":
            return "setup"
        if self.name and self.name.strip("_"):
            return self.name
        return f"cell-{self.index}"

    @property
    def body(self) -> list[ast.stmt]:
        return self.tree.body if self.tree is not None else []

    @property
    def disabled(self) -> bool:
        return bool(self.options.get("disabled"))

    def line_of(self, node: ast.AST) -> int:
        return self.first_line + getattr(node, "lineno", 1) - 1

    def end_line_of(self, node: ast.AST) -> int:
        return (
            self.first_line + (getattr(node, "end_lineno", None) or getattr(node, "lineno", 1)) - 1
        )

    def scope_nodes(self, body: list[ast.stmt]) -> list[ast.AST]:
        """`walk_scope(body)` for a body of this cell's tree, computed once per body."""
        cached = self._scope_cache.get(id(body))
        if cached is None or cached[0] is not body:
            cached = self._scope_cache[id(body)] = (body, list(walk_scope(body)))
        return cached[1]

    @cached_property
    def nodes(self) -> list[ast.AST]:
        """Every node of the cell (`ast.walk` order), computed once: every rule walks them."""
        return list(ast.walk(self.tree)) if self.tree is not None else []

    @cached_property
    def parents(self) -> dict[ast.AST, ast.AST]:
        parents: dict[ast.AST, ast.AST] = {}
        if self.tree is not None:
            for parent in self.nodes:
                for child in ast.iter_child_nodes(parent):
                    parents[child] = parent
        return parents

    def ancestors_of(self, node: ast.AST) -> Iterator[ast.AST]:
        """Enclosing nodes of `node`, innermost first."""
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)


@dataclass(eq=False)
class Notebook:
    """A parsed notebook plus the cross-cell facts rules share (aliases, dataflow, functions)."""

    path: Path
    display_path: str
    source: str
    header: str
    cells: list[Cell]
    # The file as marimo's editor would save it unchanged (None: not a .py notebook, or marimo
    # cannot regenerate it).
    saved_source: str | None = None

    @cached_property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    @cached_property
    def parsed_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.tree is not None]

    @cached_property
    def names(self) -> Names:
        return Names(cell.tree for cell in self.parsed_cells)

    @cached_property
    def docstring(self) -> str:
        """The module docstring in the file header (before `import marimo`), or ''."""
        try:
            module = ast.parse(self.header or "")
        except SyntaxError:
            return ""
        return ast.get_docstring(module) or ""

    @cached_property
    def definer(self) -> dict[str, Cell]:
        """Which cell defines each global name (marimo allows one)."""
        out: dict[str, Cell] = {}
        for cell in self.parsed_cells:
            for name in cell.defs:
                out.setdefault(name, cell)
        return out

    def parents_of(self, cell: Cell) -> set[Cell]:
        return {
            self.definer[name]
            for name in cell.refs
            if name in self.definer and self.definer[name] is not cell
        }

    def ancestors_of(self, cell: Cell) -> set[Cell]:
        """Every cell that must run before `cell`: marimo will not run `cell` while one is stopped."""
        seen: set[Cell] = set()
        stack = list(self.parents_of(cell))
        while stack:
            current = stack.pop()
            if current in seen or current is cell:
                continue
            seen.add(current)
            stack.extend(self.parents_of(current))
        return seen

    def readers_of(self, name: str) -> list[Cell]:
        return [cell for cell in self.parsed_cells if name in cell.refs]

    @cached_property
    def functions(self) -> dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, Cell]]:
        """Functions defined at the top level of a cell (including `@app.function` cells)."""
        out: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, Cell]] = {}
        for cell in self.parsed_cells:
            for stmt in cell.body:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    out.setdefault(stmt.name, (stmt, cell))
        return out

    @cached_property
    def methods(self) -> dict[str, list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, Cell]]]:
        """Methods of the classes the notebook defines, by name (`obj.name()` may call one)."""
        out: dict[str, list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, Cell]]] = {}
        for cell in self.parsed_cells:
            for node in cell.nodes:
                if isinstance(node, ast.ClassDef):
                    for stmt in node.body:
                        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                            out.setdefault(stmt.name, []).append((stmt, cell))
        return out

    # Rules and shared analyses memoise notebook-wide facts here, keyed by their own names.
    memo: dict[str, Any] = field(default_factory=dict)


class Rule:
    """A gpulab rule: a stable code, a kebab-case name, a severity, and a docstring that is its
    documentation ("What it does", "Why is this bad?", "Example", "Fix")."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]

    def check(self, notebook: Notebook) -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    def finding(self, notebook: Notebook, cell: Cell, node: ast.AST, message: str) -> Finding:
        return Finding(
            path=notebook.display_path,
            line=cell.line_of(node),
            end_line=cell.end_line_of(node),
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            cell=cell.label,
        )

    def file_finding(self, notebook: Notebook, line: int, message: str) -> Finding:
        return Finding(
            path=notebook.display_path,
            line=line,
            end_line=line,
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            cell=None,
        )
