"""GL203 ui-value-in-defining-cell."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.analysis import position
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import root_call

# Methods that wrap UI elements into another UI element.
UI_WRAPPERS = {"form", "batch"}


def builds_ui_element(notebook: Notebook, expr: ast.AST) -> bool:
    """`mo.ui.slider(...)`, `mo.ui.text().form()`, `mo.md("{x}").batch(x=mo.ui.slider(...))`."""
    call = root_call(expr)
    if call is None:
        return False
    name = notebook.names.call_name(call) or ""
    if name.startswith("marimo.ui."):
        return True
    node = expr
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in UI_WRAPPERS and name.startswith("marimo."):
            return True
        node = node.func.value
    return False


class UiValueInDefiningCell(Rule):
    """A UI element's `.value` read in the same cell that creates the element.

    ## What it does
    Flags `x.value` at the top level of the cell that assigns `x = mo.ui.<element>(...)` (also
    `.form()` and `.batch()` wrappers), and `mo.ui.<element>(...).value` read directly. Reads
    inside functions and lambdas (callbacks) are not flagged.

    ## Why it matters
    When the reader moves a slider, marimo re-runs the cells that *reference* the slider, never
    the cell that *defines* it (that would recreate the slider and reset it). A value read in the
    defining cell is the initial value forever: the notebook looks interactive and silently is
    not.

    ## Example
    ```python
    batch_size = mo.ui.slider(8, 128, value=32)
    mo.hstack([batch_size, mo.md(f"{batch_size.value} samples per step")])
    ```

    ## Fix
    Create the element in one cell, read `.value` in the next:
    ```python
    batch_size = mo.ui.slider(8, 128, value=32)
    batch_size
    ```
    ```python
    mo.md(f"{batch_size.value} samples per step")
    ```
    """

    code = "GL203"
    name = "ui-value-in-defining-cell"
    severity = Severity.ERROR
    summary = "A UI element's `.value` read in the cell that creates it (never updates)"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            yield from self._check_cell(notebook, cell)

    def _check_cell(self, notebook: Notebook, cell: Cell) -> Iterator[Finding]:
        created: dict[str, ast.AST] = {}
        nodes = cell.scope_nodes(cell.body)
        for node in nodes:
            if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
                continue
            if builds_ui_element(notebook, node.value):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        created.setdefault(target.id, node)
        for node in nodes:
            if not (isinstance(node, ast.Attribute) and node.attr == "value"):
                continue
            if not isinstance(node.ctx, ast.Load):
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in created:
                if position(node) > position(created[owner.id]):
                    yield self._report(notebook, cell, node, owner.id)
            elif isinstance(owner, ast.Call) and builds_ui_element(notebook, owner):
                yield self._report(notebook, cell, node, ast.unparse(owner.func))

    def _report(self, notebook: Notebook, cell: Cell, node: ast.AST, element: str) -> Finding:
        return self.finding(
            notebook,
            cell,
            node,
            f"`{element}.value` is read in the cell that creates `{element}`: marimo never "
            "re-runs the defining cell on interaction, so this is the initial value forever; "
            "read `.value` in another cell",
        )
