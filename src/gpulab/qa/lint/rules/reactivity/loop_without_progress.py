"""GL206 loop-without-progress."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.analysis import (
    LoopNode,
    Scope,
    calls_notebook_function,
    enclosing,
    scopes,
    walk_scope,
)
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import method_name
from gpulab.qa.lint.work import describe_expensive, is_training_loop

PROGRESS_WORDS = ("progress", "tqdm", "trange", "track", "spinner", "callback")
PROGRESS_CALLS = {
    "print",
    "pprint",
    "set_postfix",
    "set_postfix_str",
    "set_description",
    "add_scalar",
    "log_metric",
    "log_metrics",
}
LOG_METHODS = {"info", "debug", "warning", "log"}


def long_running(notebook: Notebook, scope: Scope, loop: ast.AST) -> str | None:
    """Why `loop` is likely to run for a long time, or None."""
    if is_training_loop(loop):
        return "training loop"
    if isinstance(loop, ast.For | ast.AsyncFor) and "epoch" in ast.unparse(loop.target).lower():
        return "epoch loop"
    if _few_iterations(scope, loop):
        return None  # three sample prompts: seconds, not minutes
    for node in walk_scope(loop.body):  # type: ignore[attr-defined]
        if isinstance(node, ast.Call):
            if method_name(node) == "generate":
                return "generation loop"
            if describe_expensive(notebook, scope.body, node):
                return "loop of expensive calls"
    return None


FEW = 5


def _few_iterations(scope: Scope, loop: ast.AST) -> bool:
    """A `for` over a literal of a handful of items (or a name the scope assigns one), or over
    `range(n)` with a small literal `n`."""
    iterable = getattr(loop, "iter", None)
    if isinstance(iterable, ast.Name):
        iterable = next(
            (
                node.value
                for node in scope.walk()
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == iterable.id for t in node.targets)
            ),
            iterable,
        )
    if isinstance(iterable, ast.List | ast.Tuple | ast.Set):
        return len(iterable.elts) <= FEW
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Name)
        and iterable.func.id == "range"
        and len(iterable.args) == 1
        and isinstance(iterable.args[0], ast.Constant)
    ):
        return isinstance(iterable.args[0].value, int) and iterable.args[0].value <= FEW
    return False


def reports_progress(notebook: Notebook, node: ast.AST) -> bool:
    """Whether this call or statement tells the reader how far along the loop is."""
    if isinstance(node, ast.Yield | ast.YieldFrom):
        return True  # a generator hands every step to its caller
    if not isinstance(node, ast.Call):
        return False
    name = notebook.names.call_name(node) or ""
    method = (method_name(node) or "").lower()
    if name.startswith(("marimo.output.", "marimo.status.", "logging.", "wandb.", "mlflow.")):
        return True
    if method in PROGRESS_CALLS or method.startswith("on_"):
        return True
    if any(word in method for word in PROGRESS_WORDS):
        return True
    receiver = ast.unparse(node.func.value).lower() if isinstance(node.func, ast.Attribute) else ""
    return method in LOG_METHODS and "log" in receiver


def _progress_context(node: ast.AST) -> bool:
    text = ast.unparse(node).lower()
    return any(
        word in text for word in ("progress", "spinner", "tqdm", "trange", "track", "status")
    )


def in_progress_context(cell: Cell, node: ast.AST) -> bool:
    """Inside `with mo.status.spinner(...)` / `with mo.status.progress_bar(...)` / `tqdm`."""
    for parent, _ in enclosing(cell, node, (ast.With, ast.AsyncWith)):
        if any(_progress_context(item.context_expr) for item in parent.items):  # type: ignore[attr-defined]
            return True
    return False


class LoopWithoutProgress(Rule):
    """A long-running loop that tells the reader nothing while it runs.

    ## What it does
    Finds training loops (`.backward()`, `optimizer.step()`), epoch loops, generation loops
    (`.generate(...)`) and loops of expensive calls (not over a handful of literal items, such
    as three sample prompts) that show no progress: the iterable is not
    wrapped in `mo.status.progress_bar(...)`/`tqdm(...)`, the loop is not inside
    `with mo.status.spinner(...)`/`progress_bar(...)`, and its body neither prints, logs, calls
    `mo.output.*`, calls a progress/callback function, nor yields. A loop in a function counts as
    covered if some call of that function is inside a spinner or progress bar. Only the
    outermost such loop is reported.

    ## Why it matters
    A cell that trains for ten minutes with no output looks exactly like a hung kernel. Readers
    restart it, lose the run, and learn nothing about the throughput they are paying for.

    ## Example
    ```python
    for epoch in range(num_epochs.value):
        for batch in loader:
            loss = model(batch).loss
            loss.backward()
            optimizer.step()
    ```

    ## Fix
    ```python
    for epoch in mo.status.progress_bar(range(num_epochs.value), title="Training"):
        ...
    ```
    or wrap the call in `with mo.status.spinner(title="Training..."):`.
    """

    code = "GL206"
    name = "loop-without-progress"
    severity = Severity.WARNING
    summary = "A training/generation loop with no progress bar, spinner or per-step output"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            for scope in scopes(cell):
                if scope.function is not None and not self._called_without_progress(
                    notebook, scope
                ):
                    continue
                yield from self._check_scope(notebook, scope)

    def _check_scope(self, notebook: Notebook, scope: Scope) -> Iterator[Finding]:
        covered: set[ast.AST] = set()
        for node in scope.walk():
            if node in covered or not isinstance(node, LoopNode):
                continue
            kind = long_running(notebook, scope, node)
            if kind is None:
                continue
            covered.update(walk_scope([node]))
            if self._shows_progress(notebook, scope.cell, node):
                continue
            yield self.finding(
                notebook,
                scope.cell,
                node,
                f"this {kind} runs with no progress shown; iterate over "
                "`mo.status.progress_bar(...)` or wrap it in `with mo.status.spinner(...)`",
            )

    def _shows_progress(self, notebook: Notebook, cell: Cell, loop: ast.AST) -> bool:
        iterable = getattr(loop, "iter", None)
        if iterable is not None and _progress_context(iterable):
            return True
        if in_progress_context(cell, loop):
            return True
        return any(reports_progress(notebook, node) for node in walk_scope(loop.body))  # type: ignore[attr-defined]

    def _called_without_progress(self, notebook: Notebook, scope: Scope) -> bool:
        """A function's loops matter only if it is called somewhere without a spinner around."""
        name = scope.function.name  # type: ignore[union-attr]
        if name not in notebook.functions:
            return False
        calls = [
            (cell, node)
            for cell in notebook.parsed_cells
            for node in cell.nodes
            if calls_notebook_function(notebook, node) == name
        ]
        return bool(calls) and not any(in_progress_context(cell, node) for cell, node in calls)
