"""Timed regions: code between a wall-clock read and the subtraction that measures it.

A region is found by dataflow, not adjacency: `t0 = time.perf_counter()` starts one and
`time.perf_counter() - t0` (or `t1 - t0` with `t1` another clock read) ends it, so the gap
between two measurements is never mistaken for a measurement.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from gpulab.qa.lint.analysis import (
    Scope,
    call_has,
    calls_notebook_function,
    end_position,
    function_has,
    position,
    scopes,
    walk_scope,
)
from gpulab.qa.lint.dataflow import scope_values
from gpulab.qa.lint.gpu import (
    GPU_MODULES,
    HOST_READ_METHODS,
    HOST_SYNCHRONOUS_MODULES,
    device_nodes,
    gpu_values,
    is_host_builtin,
    is_host_read,
    points_to_gpu,
)
from gpulab.qa.lint.model import Cell, Notebook
from gpulab.qa.lint.names import method_name
from gpulab.qa.lint.work import is_wall_clock

# Calls that wait for queued GPU work: explicit synchronisation and device-to-host reads.
SYNC_METHODS = HOST_READ_METHODS | {"synchronize", "elapsed_time"}
# Methods of Python containers: `results.append(out)` stores a reference, it computes nothing.
CONTAINER_METHODS = {"append", "extend", "insert", "appendleft", "put", "put_nowait"}
# torch calls that do not launch device work.
TORCH_NOT_WORK = (
    "torch.cuda.",
    "torch.no_grad",
    "torch.inference_mode",
    "torch.manual_seed",
    "torch.device",
    "torch.set_grad_enabled",
    "torch.backends.",
    "torch.autocast",
    "torch.amp.",
    "torch.compile",
    "torch.utils.",
    "torch.set_",
    "torch.get_",
    "torch.is_",
)


@dataclass
class TimedRegion:
    scope: Scope
    start: ast.Call
    stop: ast.Call
    gpu_ops: list[ast.AST] = field(default_factory=list)  # all GPU work in the region
    async_ops: list[ast.AST] = field(default_factory=list)  # work that returns before it is done
    syncs: list[ast.AST] = field(default_factory=list)

    @property
    def synchronized(self) -> bool:
        if not self.async_ops:
            return True
        # Compare where calls end: `(a @ b).sum().item()` syncs after the matmul it contains.
        last = max(end_position(op) for op in self.async_ops)
        return any(end_position(sync) >= last for sync in self.syncs)


def _names_in(node: ast.AST) -> Iterator[str]:
    """Names under `node`, except inside a device-to-host read: `losses.append(loss.item())`
    hands the host a plain number, so it is not GPU work."""
    for child in device_nodes(node):
        if isinstance(child, ast.Name):
            yield child.id


def gpu_op(notebook: Notebook, scope: Scope, node: ast.AST) -> bool | None:
    """True if `node` launches asynchronous GPU work, False if host-synchronous GPU work, else None."""
    values = scope_values(notebook, scope)
    if isinstance(node, ast.BinOp):
        kinds = [values[name] for name in _names_in(node) if name in values]
        return any(kinds) if kinds else None
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Attribute) and node.func.attr in CONTAINER_METHODS:
        return None  # storing a reference launches nothing; the work is in its argument
    if is_host_builtin(node) or is_host_read(node):
        return None
    name = notebook.names.call_name(node) or ""
    if name.startswith(HOST_SYNCHRONOUS_MODULES):
        return False
    if name.startswith(GPU_MODULES):
        return True
    if name.startswith("torch.") and not name.startswith(TORCH_NOT_WORK):
        on_device = any(kw.arg == "device" and points_to_gpu(kw.value) for kw in node.keywords)
        if on_device or any(values.get(arg) for arg in _arg_names(node)):
            return True
    if isinstance(node.func, ast.Name) and node.func.id in scope.parameters:
        return True  # a benchmark helper timing whatever it was handed
    callee = calls_notebook_function(notebook, node)
    if callee and function_has(notebook, "gpu_work", callee, _does_gpu_work):
        return True
    used = [values[n] for n in _names_in(node.func) if n in values]
    used += [values[n] for n in _arg_names(node) if n in values]
    if used:
        return any(used)
    return None


def _arg_names(call: ast.Call, host_reads: bool = False) -> Iterator[str]:
    """Names in a call's arguments (with `host_reads`, also those inside `.item()` and kin)."""
    for arg in [*call.args, *(kw.value for kw in call.keywords)]:
        if host_reads:
            yield from (n.id for n in ast.walk(arg) if isinstance(n, ast.Name))
        else:
            yield from _names_in(arg)


def _does_gpu_work(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    function = next(
        (
            f
            for f in cell.nodes
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.body is body
        ),
        None,
    )
    scope = Scope(cell, body, function)
    return any(
        gpu_op(notebook, scope, node)
        for node in walk_scope(body)
        if not calls_notebook_function(notebook, node)
    )


def is_sync(notebook: Notebook, node: ast.AST) -> bool:
    """Whether the call waits for queued GPU work: `torch.cuda.synchronize()`,
    `event.synchronize()`, a device-to-host read (`.item()`, `.cpu()`, `float(t)`), printing a
    GPU tensor, or a notebook function or method that does one of these."""
    if not isinstance(node, ast.Call):
        return False
    if (method_name(node) or "") in SYNC_METHODS:
        return True
    if isinstance(node.func, ast.Name) and (is_host_read(node) or node.func.id == "print"):
        values = gpu_values(notebook)
        if any(name in values for name in _arg_names(node, host_reads=True)):
            return True
    return call_has(notebook, "sync", node, _has_sync)


def _has_sync(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    return any(
        is_sync(notebook, node)
        for node in walk_scope(body)
        if not calls_notebook_function(notebook, node)
    )


def uses_cuda_events(scope: Scope) -> bool:
    return any(
        isinstance(node, ast.Attribute) and node.attr in ("Event", "elapsed_time")
        for node in scope.walk()
    )


def timed_regions(notebook: Notebook, scope: Scope) -> list[TimedRegion]:
    nodes = scope.walk()
    starts: dict[str, list[ast.Call]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and is_wall_clock(notebook, node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    starts.setdefault(target.id, []).append(node.value)  # type: ignore[arg-type]

    def latest(name: str, before: ast.AST) -> ast.Call | None:
        earlier = [call for call in starts.get(name, []) if position(call) < position(before)]
        return max(earlier, key=position) if earlier else None

    regions: list[TimedRegion] = []
    for node in nodes:
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
            continue
        if not isinstance(node.right, ast.Name):
            continue
        start = latest(node.right.id, node)
        if start is None:
            continue
        if is_wall_clock(notebook, node.left):
            stop: ast.Call | None = node.left  # type: ignore[assignment]
        elif isinstance(node.left, ast.Name):
            stop = latest(node.left.id, node)
        else:
            stop = None
        if stop is None or position(stop) <= position(start):
            continue
        if is_timestamp(scope, node):
            continue
        regions.append(_fill(notebook, scope, nodes, start, stop))
    unique = {(position(r.start), position(r.stop)): r for r in regions}
    return sorted(unique.values(), key=lambda r: position(r.start))


TIMESTAMP_WORDS = ("stamp", "since")  # `timestamp`, `ts_since_start`, `elapsed_since_open`
TIMESTAMP_KEYS = {"ts", "at", "when"}


def _timestamp_key(key: str, exact: bool = True) -> bool:
    key = key.lower()
    return (exact and key in TIMESTAMP_KEYS) or any(word in key for word in TIMESTAMP_WORDS)


def _timestamp_use(cell: Cell, node: ast.AST) -> bool:
    """Whether `node`'s value is recorded as a point in time: a `{"timestamp": ...}` entry, a
    `timestamp=` argument, or an assignment to a name that says so."""
    parent = cell.parents.get(node)
    while (
        isinstance(parent, ast.Call)
        and is_host_read(parent)
        or (isinstance(parent, ast.Call) and getattr(parent.func, "id", "") == "round")
    ):
        node, parent = parent, cell.parents.get(parent)
    if isinstance(parent, ast.Dict) and node in parent.values:
        key = parent.keys[parent.values.index(node)]  # type: ignore[arg-type]
        return isinstance(key, ast.Constant) and _timestamp_key(str(key.value))
    if isinstance(parent, ast.keyword):
        return _timestamp_key(parent.arg or "")
    return False


def is_timestamp(scope: Scope, subtraction: ast.BinOp) -> bool:
    """A clock difference used only as a timestamp (a monitoring timeline, a log record), not
    as the duration of the work between the reads."""
    cell = scope.cell
    if _timestamp_use(cell, subtraction):
        return True
    parent = cell.parents.get(subtraction)
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1):
        return False
    target = parent.targets[0]
    if not isinstance(target, ast.Name):
        return False
    if _timestamp_key(target.id, exact=False):
        return True
    uses = [
        node
        for node in scope.walk()
        if isinstance(node, ast.Name)
        and node.id == target.id
        and isinstance(node.ctx, ast.Load)
        and position(node) > position(parent)
    ]
    return bool(uses) and all(_timestamp_use(cell, use) for use in uses)


def _fill(
    notebook: Notebook, scope: Scope, nodes: list[ast.AST], start: ast.Call, stop: ast.Call
) -> TimedRegion:
    region = TimedRegion(scope, start, stop)
    low, high = position(start), position(stop)
    for node in nodes:
        if not (low < position(node) < high) or node is start:
            continue
        kind = gpu_op(notebook, scope, node)
        if kind is not None:
            region.gpu_ops.append(node)
            if kind:
                region.async_ops.append(node)
        if is_sync(notebook, node):
            region.syncs.append(node)
    return region


def gpu_timed_regions(notebook: Notebook) -> Iterator[TimedRegion]:
    """Timed regions that contain GPU work, in every scope of the notebook."""
    for cell in notebook.parsed_cells:
        for scope in scopes(cell):
            for region in timed_regions(notebook, scope):
                if region.gpu_ops:
                    yield region
