"""Scopes and function summaries: the ground every rule stands on.

Each helper answers one question about code the way marimo runs it: a cell's top level runs when
the cell runs; a function body runs only where the function is called, so facts about notebook
functions are summarised once per notebook and consulted at their call sites.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from gpulab.qa.lint.model import Cell, Notebook, walk_scope

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
LoopNode = ast.For | ast.AsyncFor | ast.While


@dataclass(frozen=True)
class Scope:
    """A body of code that runs as a unit: a cell's top level or one function's body."""

    cell: Cell
    body: list[ast.stmt]
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None

    def walk(self) -> list[ast.AST]:
        return self.cell.scope_nodes(self.body)

    @property
    def source(self) -> str:
        if self.function is None:
            return self.cell.code
        return ast.get_source_segment(self.cell.code, self.function) or ""

    @property
    def parameters(self) -> set[str]:
        if self.function is None:
            return set()
        args = self.function.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        return {arg.arg for arg in every if arg is not None}


def scopes(cell: Cell) -> Iterator[Scope]:
    if cell.tree is None:
        return
    yield Scope(cell, cell.body)
    for node in cell.nodes:
        if isinstance(node, FunctionNode):
            yield Scope(cell, node.body, node)


def runs_on_load(cell: Cell) -> bool:
    """Whether the cell's top level runs with the notebook (function and class cells only define)."""
    return cell.tree is not None and cell.kind in ("cell", "setup") and not cell.disabled


def position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def end_position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


def identifier_texts(node: ast.AST) -> Iterator[str]:
    """Identifiers, attribute names and strings under `node`."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            yield child.id
        elif isinstance(child, ast.Attribute):
            yield child.attr
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value
        elif isinstance(child, ast.arg | ast.keyword) and child.arg:
            yield child.arg


def text_mentions(node: ast.AST, words: Iterable[str]) -> bool:
    """Whether any identifier, attribute or string under `node` contains one of `words`."""
    wanted = tuple(words)
    return any(any(word in text.lower() for word in wanted) for text in identifier_texts(node))


def _called_name(node: ast.AST, *, method: bool) -> str | None:
    """The name a call `f()` calls, or with `method` the one `obj.f()` calls; else None."""
    if not isinstance(node, ast.Call):
        return None
    if method:
        return node.func.attr if isinstance(node.func, ast.Attribute) else None
    return node.func.id if isinstance(node.func, ast.Name) else None


def calls_notebook_function(notebook: Notebook, node: ast.AST) -> str | None:
    """The name of the notebook-defined function `node` calls, if it is such a call."""
    name = _called_name(node, method=False)
    return name if name in notebook.functions else None


def function_has(
    notebook: Notebook,
    key: str,
    name: str,
    direct: Callable[[Notebook, Cell, list[ast.stmt]], bool],
) -> bool:
    """Whether notebook function `name` has a property itself or through functions it calls.

    `direct` looks at one body without following calls; this follows them, once per function.
    """

    def through_calls(body: list[ast.stmt]) -> bool:
        callees = filter(None, (calls_notebook_function(notebook, n) for n in walk_scope(body)))
        return any(function_has(notebook, key, callee, direct) for callee in callees)

    definitions = [notebook.functions[name]]
    return _memoised(notebook, f"function:{key}", name, definitions, direct, through_calls)


def calls_notebook_method(notebook: Notebook, node: ast.AST) -> str | None:
    """The name of a method of a notebook-defined class that `node` may call (`obj.name()`)."""
    name = _called_name(node, method=True)
    return name if name in notebook.methods else None


def method_has(
    notebook: Notebook,
    key: str,
    name: str,
    direct: Callable[[Notebook, Cell, list[ast.stmt]], bool],
) -> bool:
    """Whether some notebook method called `name` has a property itself or through the methods
    and functions it calls (`self.step()`, `helper()`), like `function_has` for functions."""

    def through_calls(body: list[ast.stmt]) -> bool:
        return _callees_have(notebook, key, body, direct)

    definitions = notebook.methods.get(name, [])
    return _memoised(notebook, f"method:{key}", name, definitions, direct, through_calls)


def _memoised(
    notebook: Notebook,
    memo_key: str,
    name: str,
    definitions: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, Cell]],
    direct: Callable[[Notebook, Cell, list[ast.stmt]], bool],
    through_calls: Callable[[list[ast.stmt]], bool],
) -> bool:
    """`direct` or `through_calls` on any definition of `name`, computed once per notebook."""
    memo: dict[str, bool] = notebook.memo.setdefault(memo_key, {})
    if name in memo:
        return memo[name]
    memo[name] = False  # recursion guard
    result = any(
        direct(notebook, cell, node.body) or through_calls(node.body) for node, cell in definitions
    )
    memo[name] = result
    return result


def _callees_have(
    notebook: Notebook,
    key: str,
    body: list[ast.stmt],
    direct: Callable[[Notebook, Cell, list[ast.stmt]], bool],
) -> bool:
    for node in walk_scope(body):
        function = calls_notebook_function(notebook, node)
        if function and function_has(notebook, key, function, direct):
            return True
        method = calls_notebook_method(notebook, node)
        if method and method_has(notebook, key, method, direct):
            return True
    return False


def call_has(
    notebook: Notebook,
    key: str,
    node: ast.AST,
    direct: Callable[[Notebook, Cell, list[ast.stmt]], bool],
) -> bool:
    """Whether `node` calls a notebook function or method that has the property."""
    function = calls_notebook_function(notebook, node)
    if function:
        return function_has(notebook, key, function, direct)
    method = calls_notebook_method(notebook, node)
    return bool(method) and method_has(notebook, key, method, direct)


def enclosing(
    cell: Cell, node: ast.AST, kinds: type | tuple[type, ...]
) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(ancestor, child-on-the-path) pairs for ancestors of `node` of the given kinds."""
    child = node
    for parent in cell.ancestors_of(node):
        if isinstance(parent, kinds):
            yield parent, child
        child = parent


def in_branch_of(parent: ast.AST, child: ast.AST) -> bool:
    """Whether `child` is in a branch of if/while/ternary `parent`, not in its test."""
    return child is not getattr(parent, "test", None)
