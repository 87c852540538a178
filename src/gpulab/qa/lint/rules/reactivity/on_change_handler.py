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


def _is_state_update(handler: ast.expr, setters: set[str]) -> bool:
    """`set_x`, or `lambda v: set_x(...)`: marimo's documented way to sync state."""
    if isinstance(handler, ast.Name):
        return handler.id in setters
    if isinstance(handler, ast.Lambda) and isinstance(handler.body, ast.Call):
        func = handler.body.func
        return isinstance(func, ast.Name) and func.id in setters
    return False


class OnChangeHandler(Rule):
    """`on_change=` callbacks on `mo.ui` elements instead of reactive cells.

    ## What it does
    Flags `mo.ui.<element>(..., on_change=handler)` unless the handler is `None` or the setter of
    an `mo.state` (`set_x` or `lambda v: set_x(v)`), which is marimo's documented use.

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
                if _is_state_update(handler, setters):
                    continue
                yield self.finding(
                    notebook,
                    cell,
                    handler,
                    f"`on_change={ast.unparse(handler)[:40]}` runs outside marimo's dataflow; read "
                    "the element's `.value` in a dependent cell instead (or update an `mo.state`)",
                )
