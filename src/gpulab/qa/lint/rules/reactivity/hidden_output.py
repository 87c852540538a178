"""GL201 hidden-output."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.analysis import position, walk_scope
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.text import root_call_name

# marimo calls that act (run SQL, configure, cache, stop, query the runtime) rather than build
# something to display; everything else under `marimo.` renders when it is a cell's output.
NOT_DISPLAY = {
    "marimo.stop",
    "marimo.state",
    "marimo.sql",
    "marimo.cache",
    "marimo.lru_cache",
    "marimo.persistent_cache",
    "marimo.app_meta",
    "marimo.cli_args",
    "marimo.query_params",
    "marimo.notebook_dir",
    "marimo.notebook_location",
    "marimo.running_in_notebook",
    "marimo.create_asgi_app",
    "marimo.Thread",
    "marimo.current_thread",
    "marimo.defs",
    "marimo.refs",
    "marimo.App",
    "marimo.MarimoIslandGenerator",
}
NOT_DISPLAY_PREFIXES = (
    "marimo.output.",
    "marimo.status.",
    "marimo.watch.",
    "marimo.redirect_",
    "marimo.capture_",
    "marimo.ai.",
    "marimo.islands.",
)
CHART_PREFIXES = (
    "altair.Chart",
    "altair.LayerChart",
    "altair.layer",
    "altair.hconcat",
    "altair.vconcat",
    "plotly.express.",
    "plotly.graph_objects.Figure",
)


def display_call(notebook: Notebook, expr: ast.AST) -> str | None:
    """If `expr` builds something marimo would render (mo.md, mo.callout, mo.ui.*, a chart),
    its source; else None."""
    name = root_call_name(notebook, expr)
    if name is None:
        return None
    is_marimo = (
        name.startswith("marimo.")
        and not name.startswith("marimo._")  # marimo's internals, not its display API
        and name not in NOT_DISPLAY
        and not name.startswith(NOT_DISPLAY_PREFIXES)
    )
    if is_marimo or name.startswith(CHART_PREFIXES):
        source = ast.unparse(expr)
        return source if len(source) <= 60 else source[:57] + "..."
    return None


class HiddenOutput(Rule):
    """A display expression marimo will never show.

    ## What it does
    marimo renders exactly one thing per cell: its last top-level expression. This rule flags
    output that cannot be that expression:

    - a display call (`mo.md`, `mo.callout`, `mo.ui.*`, `mo.vstack`, an Altair/Plotly chart)
      written as a statement before the end of the cell;
    - a display call, bare name or attribute nested inside `if`/`for`/`while`/`with`/`try`/`match`,
      except the branch-final expressions of a cell-final `if`/`try`/`match`, which marimo's own
      MR002 (branch-expression) reports;
    - a display object assigned to a name (`callout = mo.callout(...)`) that the cell never uses
      again, is not the last expression, and no other cell reads.

    A bare name on its own line before other code is not flagged: it is marimo's idiom for
    depending on a cell (`refresh` at the top of a monitor cell). Neither is an expression inside
    `with pytest.raises(...)` (or unittest's `assertRaises`), run for the error it raises, nor a
    call into marimo's internals (`marimo._output...`), which are not its display API.

    ## Why it matters
    Results get computed and callouts built that nobody ever sees: the notebook "runs" and
    displays nothing. No error, no warning, just an empty output area.

    ## Example
    ```python
    for name, value in results.items():
        mo.md(f"{name}: {value}")
    ```
    ```python
    status = mo.callout(mo.md("Training done"), kind="success")
    summary = compute_summary()
    ```

    ## Fix
    Build one value and make it the cell's last expression:
    ```python
    mo.vstack([mo.md(f"{name}: {value}") for name, value in results.items()])
    ```
    Use `mo.output.append(...)` to emit several outputs from a loop.
    """

    code = "GL201"
    name = "hidden-output"
    severity = Severity.ERROR
    summary = "A display expression that is not the cell's last top-level expression"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            if cell.kind not in ("cell", "setup") or not cell.body:
                continue
            yield from self._statements(notebook, cell)
            yield from self._unused_display_objects(notebook, cell)

    def _statements(self, notebook: Notebook, cell: Cell) -> Iterator[Finding]:
        body = cell.body
        shown = (
            body[-1]
            if isinstance(body[-1], ast.Expr) and not cell.code.rstrip().endswith(";")
            else None
        )
        covered_by_mr002 = _branch_finals(body[-1])
        raising = _expected_to_raise(cell)
        for statement in body:
            if isinstance(statement, ast.Expr):
                if statement is shown:
                    continue
                shown_text = display_call(notebook, statement.value)
                if shown_text:
                    yield self.finding(
                        notebook,
                        cell,
                        statement,
                        f"`{shown_text}` is not the cell's last expression, so marimo never "
                        "displays it; make it the last expression or combine outputs with "
                        "`mo.vstack([...])`",
                    )
                continue
            for node in walk_scope([statement]):
                if not isinstance(node, ast.Expr) or node in covered_by_mr002 or node in raising:
                    continue
                text = display_call(notebook, node.value)
                if text is None and isinstance(node.value, ast.Name | ast.Attribute):
                    text = ast.unparse(node.value)
                if text:
                    keyword = (
                        type(statement)
                        .__name__.lower()
                        .replace("async", "")
                        .replace("trystar", "try")
                    )
                    block = f"an `{keyword}`" if keyword == "if" else f"a `{keyword}`"
                    yield self.finding(
                        notebook,
                        cell,
                        node,
                        f"`{text}` inside {block} block is never displayed: marimo shows only "
                        "the cell's last top-level expression; assign it and show it at the end, "
                        "or use `mo.output.append(...)`",
                    )

    def _unused_display_objects(self, notebook: Notebook, cell: Cell) -> Iterator[Finding]:
        loads = [
            node
            for node in cell.nodes
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
        ]
        for node in cell.scope_nodes(cell.body):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
                continue
            target = node.targets[0]
            if not isinstance(target, ast.Name) or target.id == "_":
                continue  # `_ = ...` is marimo's spelling for "discard on purpose"
            text = display_call(notebook, node.value)
            if text is None:
                continue
            used_later = any(
                load.id == target.id and position(load) > position(node) for load in loads
            )
            if used_later or (target.id in cell.defs and notebook.readers_of(target.id)):
                continue
            yield self.finding(
                notebook,
                cell,
                node,
                f"`{target.id} = {text}` is built but never displayed: it is not the cell's last "
                "expression, nothing later in the cell uses it and no other cell reads it; end "
                f"the cell with `{target.id}`",
            )


def _branch_finals(statement: ast.stmt) -> set[ast.AST]:
    """Branch-final statements of a cell-final if/try/match: marimo's MR002 reports those."""
    branches: list[list[ast.stmt]] = []
    if isinstance(statement, ast.If):
        current: ast.stmt = statement
        while isinstance(current, ast.If):
            branches.append(current.body)
            if len(current.orelse) == 1 and isinstance(current.orelse[0], ast.If):
                current = current.orelse[0]
            else:
                branches.append(current.orelse)
                break
    elif isinstance(statement, ast.Try | ast.TryStar):
        branches = [
            statement.body,
            *(h.body for h in statement.handlers),
            statement.orelse,
            statement.finalbody,
        ]
    elif isinstance(statement, ast.Match):
        branches = [case.body for case in statement.cases]
    return {branch[-1] for branch in branches if branch}


# Context managers that expect their block to raise: `pytest.raises`, unittest's
# `assertRaises`/`assertRaisesRegex`, numpy's `assert_raises`.
_RAISES = ("raises", "assertRaises", "assertRaisesRegex", "assert_raises", "assert_raises_regex")


def _expected_to_raise(cell: Cell) -> set[ast.AST]:
    """Expression statements inside a `with pytest.raises(...)` block: evaluated for the error
    they raise, not for display."""
    inside: set[ast.AST] = set()
    for node in cell.nodes:
        if not isinstance(node, ast.With | ast.AsyncWith):
            continue
        if any(_names_raises(item.context_expr) for item in node.items):
            inside.update(n for n in walk_scope(node.body) if isinstance(n, ast.Expr))
    return inside


def _names_raises(expr: ast.expr) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in _RAISES
