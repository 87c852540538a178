"""Which names hold GPU data inside one scope, not just anywhere in the notebook.

`gpu.gpu_values` answers by name across the whole notebook: `G = cugraph.Graph()` in one
function makes every `G` a GPU value. Timings need the answer where the clock runs: a name a
scope assigns itself means what that scope assigned (marimo gives each global one defining
cell; a function's locals are its own), and a parameter holds GPU data only if some call of the
function passes GPU data for it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.analysis import Scope, scopes
from gpulab.qa.lint.gpu import gpu_kind, gpu_values, moves_to_gpu
from gpulab.qa.lint.model import Notebook, walk_scope

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def scope_values(notebook: Notebook, scope: Scope) -> dict[str, bool]:
    """Names bound to GPU data in `scope`, mapped to whether their work is asynchronous."""
    memo: dict[tuple[int, int], dict[str, bool]] = notebook.memo.setdefault("scope_values", {})
    key = (scope.cell.index, id(scope.body))
    if key in memo:
        return memo[key]
    outer = gpu_values(notebook)
    memo[key] = outer  # recursion guard: a function called from itself sees the outer view
    values = dict(outer)
    assignments = list(_assignments(scope.body))
    for name in {name for node in assignments for name in _targets(node)}:
        values.pop(name, None)
    if scope.function is not None:
        for parameter in scope.parameters:
            called, kind = _parameter_receives_gpu(notebook, scope.function, parameter)
            if not called:
                continue  # never called directly (a callback): keep what the name says
            values.pop(parameter, None)
            if kind is not None:
                values[parameter] = kind
    for node in walk_scope(scope.body):  # `model.to(device)` as a statement moves it in place
        call = node.value if isinstance(node, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and moves_to_gpu(notebook, call)
        ):
            values[call.func.value.id] = True
    for _ in range(2):  # let values flow through one more assignment
        for node in assignments:
            kind = gpu_kind(notebook, node.value, values)  # type: ignore[arg-type]
            if kind is not None:
                for name in _targets(node):
                    values[name] = values.get(name, False) or kind
    memo[key] = values
    return values


def _assignments(body: list[ast.stmt]) -> Iterator[ast.Assign | ast.AnnAssign | ast.AugAssign]:
    for node in walk_scope(body):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
            yield node


def _targets(node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> Iterator[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        for name in ast.walk(target):
            if isinstance(name, ast.Name):
                yield name.id


def _parameter_receives_gpu(
    notebook: Notebook, function: FunctionNode, parameter: str
) -> tuple[bool, bool | None]:
    """(whether the notebook calls `function` by name, the GPU kind some call passes as
    `parameter`: True asynchronous, False host-synchronous, None no GPU data)."""
    arguments = list(function.args.posonlyargs) + list(function.args.args)
    position = next((i for i, arg in enumerate(arguments) if arg.arg == parameter), None)
    calls = _calls_of(notebook, function.name)
    if not calls:
        return False, None
    kind: bool | None = None
    for caller, call in calls:
        passed = [kw.value for kw in call.keywords if kw.arg == parameter]
        if position is not None and position < len(call.args):
            passed.append(call.args[position])
        starred = any(isinstance(arg, ast.Starred) for arg in call.args) or any(
            kw.arg is None for kw in call.keywords
        )
        if starred:
            return True, True
        values = scope_values(notebook, caller)
        for expr in passed:
            found = gpu_kind(notebook, expr, values)
            if found is not None:
                kind = kind or found
    return True, kind


def _calls_of(notebook: Notebook, name: str) -> list[tuple[Scope, ast.Call]]:
    """(the scope the call runs in, the call) for every `name(...)` in the notebook."""
    index: dict[str, list[tuple[Scope, ast.Call]]] | None = notebook.memo.get("calls_by_name")
    if index is None:
        index = {}
        for cell in notebook.parsed_cells:
            for scope in scopes(cell):
                for node in scope.walk():
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                        index.setdefault(node.func.id, []).append((scope, node))
        notebook.memo["calls_by_name"] = index
    return index.get(name, [])
