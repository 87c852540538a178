"""GL209 undefined-name."""

from __future__ import annotations

import ast
import builtins
import symtable
from collections.abc import Iterator

from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity

# Names marimo (or `python notebook.py`) provides to every cell besides the builtins.
PROVIDED = {"__file__", "__name__", "__doc__", "__builtins__", "__spec__", "__loader__", "app"}
# Code that defines names nobody can see statically: give up on the notebook.
DYNAMIC_CALLS = {"exec", "eval", "globals", "locals", "vars", "__import__"}


class UndefinedName(Rule):
    """A name a cell uses that no cell defines, no import brings and no builtin provides.

    ## What it does
    For each cell, takes the global names it reads by marimo's own scoping rules (the names
    marimo would pass as the cell's parameters: not its locals, not its function parameters,
    not its `_private` names) and reports those that no cell of the notebook defines, that are
    not builtins, and that marimo does not provide (`__file__`, `__name__`). A `_private` name
    is local to the cell that assigns it, so reading another cell's `_x` is reported too. One
    finding per cell and name, at its first use.

    Notebooks that define names dynamically (`from x import *`, `exec`, `globals()`), or that
    have a cell marimo cannot parse, are skipped: what they define cannot be known.

    ## Why it matters
    The cell raises `NameError` every time it runs (for a name read inside a function, every
    time the function is called), and every cell that depends on it shows an error. marimo
    itself does not warn: it simply finds no cell to wait for. Typical causes are a renamed
    variable, a name that was only defined in a deleted cell, and a `_private` name read in
    another cell.

    ## Example
    ```python
    @app.cell
    def _(mo):
        _rows = load_rows()
        return
    ```
    ```python
    @app.cell
    def _(mo):
        mo.ui.table(_rows)  # `_rows` is private to the cell above
        return
    ```

    ## Fix
    Define the name in one cell and read it in the others (drop the underscore to share it), or
    import it in the cell that uses it.
    """

    code = "GL209"
    name = "undefined-name"
    severity = Severity.ERROR
    summary = "A name no cell defines, no import brings and no builtin provides (NameError)"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        if not _analysable(notebook):
            return
        defined = set(notebook.definer) | set(dir(builtins)) | PROVIDED
        for cell in notebook.parsed_cells:
            for name in sorted(unbound_names(cell, defined)):
                node = _first_use(cell, name)
                if node is None:
                    continue
                yield self.finding(
                    notebook,
                    cell,
                    node,
                    f"`{name}` is not defined by any cell, import or builtin: this raises "
                    "NameError when it runs; define it in one cell (without a leading `_` to "
                    "share it) or import it here",
                )


def _analysable(notebook: Notebook) -> bool:
    """Whether every cell's definitions can be read statically."""
    if any(cell.tree is None for cell in notebook.cells):
        return False
    for cell in notebook.parsed_cells:
        for node in cell.nodes:
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                return False
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in DYNAMIC_CALLS
            ):
                return False
    return True


def unbound_names(cell: Cell, defined: set[str]) -> set[str]:
    """Names the cell's code reads at run time that neither it nor `defined` binds, by
    Python's own scoping (`symtable`): `_private` names of other cells included, class
    attributes read bare inside a method included."""
    candidates = {
        node.id
        for node in cell.nodes
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in defined
    }
    if not candidates:
        return set()
    try:
        table = symtable.symtable(cell.code, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return set(cell.refs) - defined  # newer syntax: marimo's own reading of the cell
    tables = [table]
    for current in tables:
        tables.extend(current.get_children())
    bound = {s.get_name() for s in table.get_symbols() if _binds(s)}
    # `global x; x = 1` in a function, `(y := ...)` in a comprehension: module bindings too.
    bound |= {
        s.get_name()
        for current in tables[1:]
        for s in current.get_symbols()
        if s.is_global() and s.is_assigned()
    }
    unbound: set[str] = set()
    for current in tables:
        for symbol in current.get_symbols():
            name = symbol.get_name()
            if name not in candidates or not symbol.is_referenced():
                continue
            free_here = not _binds(symbol) if current is table else symbol.is_global()
            if free_here and name not in bound:
                unbound.add(name)
    return unbound


def _binds(symbol: symtable.Symbol) -> bool:
    return symbol.is_assigned() or symbol.is_imported() or symbol.is_parameter()


def _first_use(cell: Cell, name: str) -> ast.Name | None:
    uses = [
        node
        for node in cell.nodes
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
    ]
    return min(uses, key=lambda n: (n.lineno, n.col_offset)) if uses else None
