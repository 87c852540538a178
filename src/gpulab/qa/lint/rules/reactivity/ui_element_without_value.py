"""GL210 ui-element-without-value."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.analysis import calls_notebook_function
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.rules.reactivity.ui_value_in_defining_cell import builds_ui_element

# Builtins that need the number or sequence an element holds, not the element.
VALUE_BUILTINS = {"range", "int", "float", "round", "abs", "min", "max", "sum", "bool", "divmod"}
# Libraries whose functions take UI elements on purpose.
UI_AWARE = ("marimo", "gpulab")
# Elements whose `.value` is a number, a string, a bool or a choice: the ones used as values.
VALUE_ELEMENTS = {
    "slider", "number", "range_slider", "checkbox", "switch", "radio", "dropdown", "text",
    "text_area", "date", "datetime", "date_range", "multiselect", "run_button", "button",
    "code_editor",
}  # fmt: skip


def ui_elements(notebook: Notebook) -> dict[str, str]:
    """Global names bound to a value-holding `mo.ui` element, mapped to the element kind:
    `batch = mo.ui.slider(...)` -> {"batch": "slider"}."""
    if "ui_elements" not in notebook.memo:
        found: dict[str, str] = {}
        for cell in notebook.parsed_cells:
            for node in cell.scope_nodes(cell.body):
                if not (isinstance(node, ast.Assign) and builds_ui_element(notebook, node.value)):
                    continue
                kind = (notebook.names.call_name(node.value) or "").rsplit(".", 1)[-1]
                if kind not in VALUE_ELEMENTS:
                    continue
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in cell.defs:
                        found[target.id] = kind
        notebook.memo["ui_elements"] = found
    return notebook.memo["ui_elements"]


class UiElementWithoutValue(Rule):
    """A `mo.ui` element used where its value is meant.

    ## What it does
    For names bound to a value-holding UI element (`mo.ui.slider`, `number`, `checkbox`,
    `switch`, `dropdown`, `radio`, `text`, `run_button`, ...), flags uses of the element itself
    where only its `.value` makes sense:

    - arithmetic and ordering: `steps * 2`, `-offset`, `size > 1024`;
    - a truth test: `if use_amp:`, `mo.stop(not run_button)` (an element is always true);
    - an argument of a builtin that needs a number or a sequence: `range(epochs)`,
      `int(batch)`, `max(lr, 1e-5)`;
    - an argument of a library call: `SFTTrainer(max_seq_length=max_seq_length)`,
      `torch.randn(size, size)`.

    Passing an element to marimo (`mo.hstack([slider])`, `mo.md(f"{slider}")`), to gpulab's UI
    helpers (`run_gate(button, profile)`) or to a notebook function (which may read `.value`
    itself) is not flagged, nor is a name the cell binds itself (a loop variable).

    ## Why it matters
    The element is an object, not a number: `range(epochs)` raises `TypeError`, a library
    given the element stores an object where it expects an int and fails later, deep in its
    own code (`SFTTrainer` tokenizes with `max_length=<slider>`), and a truth test on a
    checkbox is true whether it is ticked or not.

    ## Example
    ```python
    for epoch in range(epochs):
        train_one_epoch()
    ```

    ## Fix
    ```python
    for epoch in range(epochs.value):
        train_one_epoch()
    ```
    """

    code = "GL210"
    name = "ui-element-without-value"
    severity = Severity.ERROR
    summary = "A `mo.ui` element used where its `.value` is meant (`range(slider)`)"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        elements = ui_elements(notebook)
        if not elements:
            return
        for cell in notebook.parsed_cells:
            shadowed = _shadowed_names(cell)
            reported: set[tuple[str, int]] = set()
            for node in cell.nodes:
                if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
                    continue
                if node.id not in elements or node.id in shadowed:
                    continue
                use = value_use(notebook, cell, node)
                if use is None or (node.id, node.lineno) in reported:
                    continue
                reported.add((node.id, node.lineno))
                yield self.finding(
                    notebook,
                    cell,
                    node,
                    f"`{node.id}` is a `mo.ui.{elements[node.id]}` element, not its value: "
                    f"{use}; write `{node.id}.value`",
                )


def value_use(notebook: Notebook, cell: Cell, node: ast.Name) -> str | None:
    """How a bare element name is used as a value, or None for uses as an element."""
    parent = cell.parents.get(node)
    if isinstance(parent, ast.BinOp):
        return "arithmetic on the element object fails or gives nonsense"
    if isinstance(parent, ast.UnaryOp):
        if isinstance(parent.op, ast.Not):
            return "an element is always true, so `not` it is always False"
        return "arithmetic on the element object fails"
    if isinstance(parent, ast.Compare):
        return "comparing the element object compares an object, not its value"
    if isinstance(parent, ast.If | ast.While | ast.IfExp) and parent.test is node:
        return "an element is always true, whatever its value"
    if isinstance(parent, ast.BoolOp):
        return "an element is always true, whatever its value"
    call = parent if isinstance(parent, ast.Call) else None
    if isinstance(parent, ast.keyword):
        call = cell.parents.get(parent)  # type: ignore[assignment]
    if not isinstance(call, ast.Call) or node is call.func:
        return None
    if isinstance(call.func, ast.Name) and call.func.id in VALUE_BUILTINS:
        return f"`{call.func.id}()` needs a number or a sequence"
    if _library_call(notebook, call):
        return f"`{ast.unparse(call.func)}(...)` receives the element object"
    return None


def _library_call(notebook: Notebook, call: ast.Call) -> bool:
    """A call into an imported library other than marimo (`torch.randn`, `SFTTrainer`)."""
    if calls_notebook_function(notebook, call):
        return False
    root = call.func
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name) or root.id not in notebook.names.aliases:
        return False
    # marimo, and gpulab's UI helpers (`run_gate(button, ...)`), take elements on purpose.
    return not notebook.names.aliases[root.id].startswith(UI_AWARE)


def _shadowed_names(cell: Cell) -> set[str]:
    """Names the cell binds anywhere (a loop or comprehension variable, a parameter, its own
    assignment): there the name holds something else, or the element is this cell's own."""
    out: set[str] = set()
    for node in cell.nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    return out
