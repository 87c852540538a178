"""GL204 on-change-handler."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import keyword


def state_setters(notebook: Notebook) -> set[str]:
    """Names bound to the setter of `get_x, set_x = mo.state(...)`."""
    setters: set[str] = set()
    for cell in notebook.parsed_cells:
        for node in cell.nodes:  # type: ignore[arg-type]
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and notebook.names.call_name(node.value) == "marimo.state"
            ):
                for target in node.targets:
                    if isinstance(target, ast.Tuple) and len(target.elts) == 2:
                        setter = target.elts[1]
                        if isinstance(setter, ast.Name):
                            setters.add(setter.id)
    return setters


def _is_state_update(notebook: Notebook, handler: ast.expr, setters: set[str]) -> bool:
    """`set_x`, `lambda v: set_x(...)`, or a small helper that only calls setters (directly or
    through a lambda): marimo's documented way to sync state."""
    if isinstance(handler, ast.Lambda):
        handler = handler.body
    if isinstance(handler, ast.Call):
        handler = handler.func
    return isinstance(handler, ast.Name) and _sets_state(notebook, handler.id, setters, set())


def _sets_state(notebook: Notebook, name: str, setters: set[str], seen: set[str]) -> bool:
    """Whether calling `name` only updates `mo.state`: it is a setter, or a notebook function
    whose statements are setter calls (under `if`s, with `pass`/`return`)."""
    if name in setters:
        return True
    if name in seen or name not in notebook.functions:
        return False
    body = notebook.functions[name][0].body
    return _only_setter_calls(notebook, body, setters, seen | {name})


def _only_setter_calls(
    notebook: Notebook, body: list[ast.stmt], setters: set[str], seen: set[str]
) -> bool:
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Return) and stmt.value is None):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring
        if isinstance(stmt, ast.If):
            if not (
                _only_setter_calls(notebook, stmt.body, setters, seen)
                and _only_setter_calls(notebook, stmt.orelse, setters, seen)
            ):
                return False
            continue
        call = stmt.value if isinstance(stmt, ast.Expr | ast.Return) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            return False
        if not _sets_state(notebook, call.func.id, setters, seen):
            return False
    return True


class OnChangeHandler(Rule):
    """`on_change=` callbacks on `mo.ui` elements instead of reactive cells.

    ## What it does
    Flags `mo.ui.<element>(..., on_change=handler)` unless the handler is `None` or only updates
    an `mo.state`, which is marimo's documented use: the setter itself (`set_x`), a lambda that
    calls it (`lambda v: set_x(v)`), or a small notebook function that does nothing but call
    setters (`lambda _: increment_index()` with `def increment_index(): set_index(...)`).

    ## Why it matters
    A callback runs outside marimo's dataflow graph: what it changes is invisible to the cells
    that depend on it, so outputs go stale and re-running the notebook top to bottom gives a
    different result from clicking through it. Reading `element.value` in a dependent cell makes
    marimo do the bookkeeping.

    ## Example
    ```python
    lr = mo.ui.slider(1e-5, 1e-2, on_change=lambda v: update_optimizer(v))
    ```

    ## Fix
    ```python
    lr = mo.ui.slider(1e-5, 1e-2)
    ```
    ```python
    optimizer = make_optimizer(lr.value)  # re-runs whenever the slider moves
    ```
    """

    code = "GL204"
    name = "on-change-handler"
    severity = Severity.WARNING
    summary = "`on_change=` callback on a `mo.ui` element instead of a dependent cell"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        setters = state_setters(notebook)
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if not isinstance(node, ast.Call):
                    continue
                if not (notebook.names.call_name(node) or "").startswith("marimo.ui."):
                    continue
                handler = keyword(node, "on_change")
                if handler is None or (isinstance(handler, ast.Constant) and handler.value is None):
                    continue
                if _is_state_update(notebook, handler, setters):
                    continue
                yield self.finding(
                    notebook,
                    cell,
                    handler,
                    f"`on_change={ast.unparse(handler)[:40]}` runs outside marimo's dataflow; read "
                    "the element's `.value` in a dependent cell instead (or update an `mo.state`)",
                )
