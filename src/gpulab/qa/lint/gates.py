"""Gates: what keeps a cell from running (`mo.stop`, gpulab's gate helpers, disabled cells,
conditions on UI values)."""

from __future__ import annotations

import ast

from gpulab.qa.lint.analysis import (
    calls_notebook_function,
    enclosing,
    function_has,
    in_branch_of,
    text_mentions,
)
from gpulab.qa.lint.gpu import GPU_WORDS
from gpulab.qa.lint.model import Cell, Notebook

GPULAB_GATE_WORDS = ("gate", "require", "stop")


def is_gate_call(notebook: Notebook, cell: Cell, node: ast.AST, user_only: bool = False) -> bool:
    """`mo.stop(...)`, a gpulab gate helper (`run_gate`, `require_gpu`), or a notebook function
    that calls one. With `user_only`, only gates that wait for the reader count: a stop that
    merely checks for a GPU stops nothing on a GPU machine."""
    if not isinstance(node, ast.Call):
        return False
    name = notebook.names.call_name(node) or ""
    if name == "marimo.stop":
        return not user_only or not _checks_only_gpu(cell, node)
    if name.startswith("gpulab."):
        last = name.rsplit(".", 1)[-1]
        if any(word in last for word in GPULAB_GATE_WORDS):
            return not user_only or "gpu" not in last
    callee = calls_notebook_function(notebook, node)
    if not callee:
        return False
    if user_only:
        return function_has(notebook, "user_gate", callee, _has_direct_user_gate)
    return function_has(notebook, "gate", callee, _has_direct_gate)


def _checks_only_gpu(cell: Cell, stop: ast.Call) -> bool:
    """`mo.stop(not torch.cuda.is_available(), ...)` or `if not has_gpu: mo.stop(True, ...)`:
    the condition is about the machine, not about something the reader did."""
    conditions: list[ast.AST] = [stop.args[0]] if stop.args else []
    conditions += [
        parent.test
        for parent, child in enclosing(cell, stop, ast.If)
        if in_branch_of(parent, child)
    ]  # type: ignore[attr-defined]
    conditions = [c for c in conditions if not isinstance(c, ast.Constant)]
    if not conditions:
        return False
    asks_user = any(
        isinstance(sub, ast.Attribute) and sub.attr == "value"
        for c in conditions
        for sub in ast.walk(c)
    )
    return not asks_user and all(text_mentions(c, GPU_WORDS) for c in conditions)


def _has_direct_gate(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    return any(
        is_gate_call(notebook, cell, node)
        for node in cell.scope_nodes(body)
        if not calls_notebook_function(notebook, node)
    )


def _has_direct_user_gate(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    return any(
        is_gate_call(notebook, cell, node, user_only=True)
        for node in cell.scope_nodes(body)
        if not calls_notebook_function(notebook, node)
    )


def _is_gpu_raise(cell: Cell, node: ast.AST) -> bool:
    """`if not torch.cuda.is_available(): raise ...`: an explicit, if abrupt, no-GPU stop."""
    return isinstance(node, ast.Raise) and any(
        in_branch_of(parent, child) and text_mentions(parent.test, GPU_WORDS)
        for parent, child in enclosing(cell, node, ast.If)
    )


def gate_lines(notebook: Notebook, cell: Cell, user_only: bool = False) -> list[int]:
    """Lines (in the cell's code) at which `cell` itself may stop."""
    key = f"gate_lines:{cell.index}:{user_only}"
    if key not in notebook.memo:
        notebook.memo[key] = [
            node.lineno  # type: ignore[attr-defined]
            for node in cell.scope_nodes(cell.body)
            if is_gate_call(notebook, cell, node, user_only)
            or (not user_only and _is_gpu_raise(cell, node))
        ]
    return notebook.memo[key]


def gating_ancestor(notebook: Notebook, cell: Cell, user_only: bool = False) -> Cell | None:
    """An ancestor cell that may stop (or is disabled): while it is stopped `cell` never runs,
    because marimo does not run a cell whose inputs were never defined."""
    for ancestor in sorted(notebook.ancestors_of(cell), key=lambda c: c.index):
        if ancestor.disabled or gate_lines(notebook, ancestor, user_only):
            return ancestor
    return None


def gated_before(notebook: Notebook, cell: Cell, node: ast.AST, user_only: bool = False) -> bool:
    """Whether top-level `node` of `cell` cannot run before some gate has had its say."""
    if cell.disabled or gating_ancestor(notebook, cell, user_only) is not None:
        return True
    return any(line < getattr(node, "lineno", 0) for line in gate_lines(notebook, cell, user_only))


def _reads_ui_value(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Attribute) and sub.attr == "value" for sub in ast.walk(node))


def ui_value_names(cell: Cell) -> set[str]:
    """Names the cell assigns from a UI element's `.value` (`running = switch.value`)."""
    names: set[str] = set()
    for node in cell.scope_nodes(cell.body):
        if isinstance(node, ast.Assign) and _reads_ui_value(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def under_ui_condition(cell: Cell, node: ast.AST) -> bool:
    """`if run_button.value: ...`, `... if form.value else ...`, `if running:` with
    `running = switch.value`: the code runs only on a user action."""
    derived = ui_value_names(cell)
    for parent, child in enclosing(cell, node, (ast.If, ast.IfExp, ast.While)):
        if not in_branch_of(parent, child):
            continue
        test = parent.test  # type: ignore[attr-defined]
        if _reads_ui_value(test) or any(
            isinstance(sub, ast.Name) and sub.id in derived for sub in ast.walk(test)
        ):
            return True
    return False
