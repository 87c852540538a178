"""GL204 on-change-handler."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import keyword


def _state_names(notebook: Notebook) -> tuple[set[str], set[str], set[str]]:
    """(getters, setters, query-params objects): `get_x, set_x = mo.state(...)` and
    `params = mo.query_params()` (marimo's `QueryParams` is an `mo.state`: setting a key re-runs
    the cells that read it)."""
    if "on_change_state_names" not in notebook.memo:
        getters: set[str] = set()
        setters: set[str] = set()
        params: set[str] = set()
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                    continue
                called = notebook.names.call_name(node.value)
                for target in node.targets:
                    if called == "marimo.state" and isinstance(target, ast.Tuple):
                        names = [e.id for e in target.elts if isinstance(e, ast.Name)]
                        if len(names) == len(target.elts) == 2:
                            getters.add(names[0])
                            setters.add(names[1])
                    elif called == "marimo.query_params" and isinstance(target, ast.Name):
                        params.add(target.id)
        notebook.memo["on_change_state_names"] = (getters, setters, params)
    return notebook.memo["on_change_state_names"]


# What a handler may compute with before it sets state: reading, copying, building values.
_PURE_BUILTINS = {
    "len", "list", "dict", "set", "tuple", "str", "int", "float", "bool", "sorted", "min", "max",
    "abs", "round", "sum", "any", "all", "range", "enumerate", "zip", "reversed",
}  # fmt: skip
# `QueryParams` methods that set the state (each ends in `State._set_value`).
_QUERY_PARAM_SETTERS = {"set", "append", "remove", "clear"}


class _Handler:
    """Whether a callback's only effects are `mo.state` updates and printing: marimo's
    documented use of `on_change` (the setter, a lambda or a small function calling it, a
    factory returning such a function). Printing changes nothing other cells read, and its
    output lands in the element's cell."""

    def __init__(self, notebook: Notebook) -> None:
        self.notebook = notebook
        self.getters, self.setters, self.params = _state_names(notebook)

    def harmless(self, handler: ast.expr) -> bool:
        if isinstance(handler, ast.Name):
            return handler.id == "print" or self._function(handler.id, set())
        if isinstance(handler, ast.Lambda):
            return self._call(handler.body, set())
        if isinstance(handler, ast.Call) and isinstance(handler.func, ast.Name):
            name = handler.func.id
            return self._function(name, set()) or self._factory(name)
        return False

    def _function(self, name: str, seen: set[str]) -> bool:
        """Calling `name` only sets state or prints: a setter, or a notebook function whose
        statements do (under `if`s, with `pass`/`return` and values computed into locals)."""
        if name in self.setters:
            return True
        if name in seen or name not in self.notebook.functions:
            return False
        function = self.notebook.functions[name][0]
        return self._body(function.body, _locals(function), seen | {name})

    def _factory(self, name: str) -> bool:
        """`make_handler(i, k)` whose body defines a handler and returns it."""
        if name not in self.notebook.functions:
            return False
        body = _without_docstring(self.notebook.functions[name][0].body)
        if len(body) != 2 or not isinstance(body[0], ast.FunctionDef | ast.AsyncFunctionDef):
            return False
        inner, returned = body
        if not (isinstance(returned, ast.Return) and isinstance(returned.value, ast.Name)):
            return False
        if returned.value.id != inner.name:
            return False
        return self._body(inner.body, _locals(inner), {name})

    def _body(self, body: list[ast.stmt], local: set[str], seen: set[str]) -> bool:
        for stmt in _without_docstring(body):
            if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Return) and stmt.value is None):
                continue
            if isinstance(stmt, ast.If):
                if not (
                    self._body(stmt.body, local, seen) and self._body(stmt.orelse, local, seen)
                ):
                    return False
                continue
            if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
                if not self._assignment(stmt, local):
                    return False
                continue
            call = stmt.value if isinstance(stmt, ast.Expr | ast.Return) else None
            if call is None or not self._call(call, seen):
                return False
        return True

    def _assignment(
        self, stmt: ast.Assign | ast.AugAssign | ast.AnnAssign, local: set[str]
    ) -> bool:
        """A value computed into a local (`rows = get_rows()`, `rows[i] = value`), or a key
        set on a query-params object (`params["page"] = value`)."""
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            root = _root_name(target)
            if root is None or not (root in local or root in self.params):
                return False
            if root in self.params and isinstance(target, ast.Name):
                return False  # rebinding the object is not setting the state
        return stmt.value is None or self._pure(stmt.value)

    def _pure(self, value: ast.expr) -> bool:
        for node in ast.walk(value):
            if isinstance(node, ast.Call):
                func = node.func
                if not (isinstance(func, ast.Name) and func.id in self.getters | _PURE_BUILTINS):
                    return False
            elif isinstance(node, ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom):
                return False
        return True

    def _call(self, node: ast.expr, seen: set[str]) -> bool:
        """A setter, `print`, a query-params update or a notebook function that only does
        these; what the arguments compute is the new value, whatever calls it takes."""
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            return func.id == "print" or self._function(func.id, seen)
        if isinstance(func, ast.Attribute) and func.attr in _QUERY_PARAM_SETTERS:
            owner = func.value
            if isinstance(owner, ast.Name):
                return owner.id in self.params
            return self.notebook.names.call_name(owner) == "marimo.query_params"
        return False


def _parameters(args: ast.arguments) -> set[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {arg.arg for arg in every if arg is not None}


def _locals(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """A function's parameters and the names it assigns (without `global`/`nonlocal`)."""
    declared_outside = {
        name
        for node in ast.walk(function)
        if isinstance(node, ast.Global | ast.Nonlocal)
        for name in node.names
    }
    assigned = {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    return (_parameters(function.args) | assigned) - declared_outside


def _root_name(target: ast.expr) -> str | None:
    while isinstance(target, ast.Subscript | ast.Attribute):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return body[1:]
    return body


class OnChangeHandler(Rule):
    """`on_change=` callbacks on `mo.ui` elements instead of reactive cells.

    ## What it does
    Flags `mo.ui.<element>(..., on_change=handler)` unless the handler is `None` or only updates
    an `mo.state`, which is marimo's documented use: the setter itself (`set_x`), a lambda that
    calls it (`lambda v: set_x(v)`), a small notebook function that does nothing but call
    setters (`lambda _: increment_index()` with `def increment_index(): set_index(...)`), or a
    factory returning such a function (`on_change=make_handler(i)`). Such a function may compute
    the new value into locals first (`rows = get_rows()`, `rows[i] = value`). Setting
    `mo.query_params()` (`lambda v: params.set("q", v)`) is a state update too, and a handler
    that only prints (`on_change=print`) changes nothing another cell reads: neither is flagged.

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

    ## Known problems
    A handler counts as a state update from its own statements: a local name that aliases
    another cell's object (`rows = history; rows[0] = value`) mutates that object unseen.
    """

    code = "GL204"
    name = "on-change-handler"
    severity = Severity.WARNING
    summary = "`on_change=` callback on a `mo.ui` element instead of a dependent cell"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        handlers = _Handler(notebook)
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if not isinstance(node, ast.Call):
                    continue
                if not (notebook.names.call_name(node) or "").startswith("marimo.ui."):
                    continue
                handler = keyword(node, "on_change")
                if handler is None or (isinstance(handler, ast.Constant) and handler.value is None):
                    continue
                if handlers.harmless(handler):
                    continue
                yield self.finding(
                    notebook,
                    cell,
                    handler,
                    f"`on_change={ast.unparse(handler)[:40]}` runs outside marimo's dataflow; read "
                    "the element's `.value` in a dependent cell instead (or update an `mo.state`)",
                )
