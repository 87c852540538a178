"""GPU facts: which code needs CUDA, what guards it, which names hold GPU data."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from gpulab.qa.lint.analysis import (
    calls_notebook_function,
    enclosing,
    function_has,
    in_branch_of,
    text_mentions,
)
from gpulab.qa.lint.model import Cell, Notebook, walk_scope
from gpulab.qa.lint.names import literal_parts, method_name, string_value

GPU_WORDS = ("cuda", "gpu", "cupy", "cudf", "cuml", "rapids", "nvml", "device", "accelerat")
GPU_MODULES = ("cupy", "cudf", "cuml", "cugraph", "cuspatial", "numba.cuda", "pycuda", "tensorrt")
# torch.cuda functions that return normally on a machine without CUDA (checked on a CPU build).
SAFE_TORCH_CUDA = {
    "is_available",
    "is_bf16_supported",
    "is_tf32_supported",
    "get_arch_list",
    "device_count",
    "is_initialized",
    "manual_seed",
    "manual_seed_all",
    "seed",
    "seed_all",
    "empty_cache",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "OutOfMemoryError",
    "amp",
}
DEVICE_CALLS = {"torch.device", "torch.cuda.device", "torch.set_default_device", "torch.Generator"}
DEVICE_KEYWORDS = ("device", "device_map", "map_location")
_CUDA_STRING = re.compile(r"^cuda(:\d+)?$")


def is_cuda_string(node: ast.AST | None) -> bool:
    value = string_value(node)
    if value is not None:
        return bool(_CUDA_STRING.match(value.strip()))
    if isinstance(node, ast.JoinedStr):
        parts = literal_parts(node)
        return bool(parts) and parts[0].startswith("cuda:")
    return False


def fallback_imports(notebook: Notebook) -> set[str]:
    """Names imported inside `try`/`except`: the notebook planned for the library being absent."""
    if "fallback_imports" not in notebook.memo:
        names: set[str] = set()
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if isinstance(node, ast.Try) and node.handlers:
                    for stmt in walk_scope(node.body):
                        if isinstance(stmt, ast.Import | ast.ImportFrom):
                            for alias in stmt.names:
                                names.add((alias.asname or alias.name).split(".")[0])
        notebook.memo["fallback_imports"] = names
    return notebook.memo["fallback_imports"]


def describe_cuda(notebook: Notebook, node: ast.AST) -> str | None:
    """If `node` by itself needs a CUDA GPU, a short description of it; otherwise None."""
    memo: dict[int, tuple[ast.AST, str | None]] = notebook.memo.setdefault("describe_cuda", {})
    cached = memo.get(id(node))
    if cached is None or cached[0] is not node:
        cached = memo[id(node)] = (node, _describe_cuda(notebook, node))
    return cached[1]


def _describe_cuda(notebook: Notebook, node: ast.AST) -> str | None:
    if isinstance(node, ast.Assign | ast.AnnAssign) and is_cuda_string(node.value):
        return f"`{ast.unparse(node).strip()}`"
    if not isinstance(node, ast.Call):
        return None
    name = notebook.names.call_name(node)
    is_method = isinstance(node.func, ast.Attribute) and node.func.attr == "cuda"
    if is_method and not node.args and not (name or "").startswith("torch."):
        return "`.cuda()`"
    if name is not None:
        parts = name.split(".")
        if name.startswith("torch.cuda.") and parts[2] not in SAFE_TORCH_CUDA:
            return f"`{name}()`"
        if parts[0] not in fallback_imports(notebook) and _first_name(
            node.func
        ) not in fallback_imports(notebook):
            for module in GPU_MODULES:
                if name == module or name.startswith(module + "."):
                    return f"`{name}()`"
    for kw in node.keywords:
        if kw.arg in DEVICE_KEYWORDS and is_cuda_string(kw.value):
            return f"`{kw.arg}={ast.unparse(kw.value)}`"
        if (
            kw.arg == "device"
            and isinstance(kw.value, ast.Constant)
            and type(kw.value.value) is int
            and kw.value.value >= 0
        ):
            return f"`device={kw.value.value}` (GPU {kw.value.value})"
    takes_device = name in DEVICE_CALLS or method_name(node) == "to"
    if takes_device and node.args and is_cuda_string(node.args[0]):
        return f"`{ast.unparse(node)}`"
    return None


def _first_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


NO_GPU_ERRORS = (
    "Exception",
    "BaseException",
    "RuntimeError",
    "AssertionError",
    "OutOfMemoryError",
    "CUDARuntimeError",
)


def handler_catches(handler: ast.ExceptHandler, names: Iterable[str]) -> bool:
    """Whether `except ...:` catches one of the exception classes named (by last segment)."""
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    wanted = set(names)
    return any(ast.unparse(exc).split(".")[-1] in wanted for exc in types)


def gpu_guarded(cell: Cell, node: ast.AST) -> bool:
    """Whether `node` only runs after a GPU check (`if torch.cuda.is_available():`, `x if has_gpu
    else y`, `if device == "cuda":`, `has_gpu and ...`) or inside a `try` that catches the no-GPU
    error (RuntimeError/AssertionError or broader)."""
    for parent, child in enclosing(cell, node, (ast.If, ast.IfExp, ast.While, ast.Try, ast.BoolOp)):
        if isinstance(parent, ast.If | ast.IfExp | ast.While):
            if in_branch_of(parent, child) and text_mentions(parent.test, GPU_WORDS):
                return True
        elif isinstance(parent, ast.Try):
            if child in parent.body and any(
                handler_catches(h, NO_GPU_ERRORS) for h in parent.handlers
            ):
                return True
        elif isinstance(parent, ast.BoolOp) and child in parent.values:
            earlier = parent.values[: parent.values.index(child)]
            if any(text_mentions(value, GPU_WORDS) for value in earlier):
                return True
    return _after_gpu_exit(cell, node)


EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


def _after_gpu_exit(cell: Cell, node: ast.AST) -> bool:
    """Whether an earlier statement of an enclosing function or loop body leaves it when there
    is no GPU: `if not torch.cuda.is_available(): return`."""
    child = node
    for parent in cell.ancestors_of(node):
        if not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.For | ast.While):
            child = parent
            continue
        body = parent.body
        if child in body:
            for stmt in body[: body.index(child)]:
                if (
                    isinstance(stmt, ast.If)
                    and stmt.body
                    and isinstance(stmt.body[-1], EXITS)
                    and text_mentions(stmt.test, GPU_WORDS)
                ):
                    return True
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return False
        child = parent
    return False


def _has_direct_cuda(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    return any(
        describe_cuda(notebook, node) and not gpu_guarded(cell, node)
        for node in cell.scope_nodes(body)
    )


def cuda_work(
    notebook: Notebook, cell: Cell, body: list[ast.stmt]
) -> Iterator[tuple[ast.AST, str]]:
    """Unguarded CUDA work in `body`'s own scope, including calls of notebook functions that
    do unguarded CUDA work."""
    for node in cell.scope_nodes(body):
        description = describe_cuda(notebook, node)
        if description is None:
            callee = calls_notebook_function(notebook, node)
            if callee and function_has(notebook, "cuda", callee, _has_direct_cuda):
                description = f"`{callee}()`, which uses CUDA"
        if description and not gpu_guarded(cell, node):
            yield node, description


def uses_gpu(notebook: Notebook) -> bool:
    """Whether the notebook targets an NVIDIA GPU at all (torch.cuda, "cuda" devices, GPU libs)."""
    if "uses_gpu" not in notebook.memo:
        notebook.memo["uses_gpu"] = any(
            _gpu_signal(notebook, node) for cell in notebook.parsed_cells for node in cell.nodes
        )
    return notebook.memo["uses_gpu"]


def requires_gpu(notebook: Notebook) -> bool:
    """Whether some code needs a CUDA GPU with no CPU fallback (a `mo.stop` is not a fallback),
    or the notebook imports a GPU-only library outside `try`/`except`."""
    if "requires_gpu" not in notebook.memo:
        needed = False
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if describe_cuda(notebook, node) and not gpu_guarded(cell, node):
                    needed = True
                elif isinstance(node, ast.Import | ast.ImportFrom):
                    modules = (
                        [alias.name for alias in node.names]
                        if isinstance(node, ast.Import)
                        else [node.module or ""]
                    )
                    needed = any(
                        m.split(".")[0] in GPU_MODULES
                        and m.split(".")[0] not in fallback_imports(notebook)
                        for m in modules
                    )
                if needed:
                    break
            if needed:
                break
        notebook.memo["requires_gpu"] = needed
    return notebook.memo["requires_gpu"]


def _gpu_signal(notebook: Notebook, node: ast.AST) -> bool:
    if is_cuda_string(node):
        return True
    if isinstance(node, ast.Attribute):
        name = notebook.names.qualname(node) or ""
        if name.startswith("torch.cuda") or (
            node.attr == "cuda" and isinstance(node.ctx, ast.Load)
        ):
            return True
    if isinstance(node, ast.Import | ast.ImportFrom):
        modules = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
        return any(
            m == g or m.startswith(g + ".") for m in modules for g in GPU_MODULES + ("pynvml",)
        )
    return False


GPU_IDENTIFIER_WORDS = ("cuda", "gpu", "device", "cupy", "cudf")
# Device-to-host reads: the call waits for the GPU and hands the host a plain value.
HOST_READ_METHODS = {
    "item",
    "cpu",
    "numpy",
    "tolist",
    "asnumpy",
    "to_pandas",
    "to_numpy",
    "block_until_ready",
}
HOST_CONVERSIONS = {"float", "int", "bool", "complex"}
# Builtins that answer about an object on the host without touching its data.
HOST_BUILTINS = {"len", "isinstance", "type", "id", "hasattr", "callable", "range", "print"}


def is_host_read(node: ast.AST) -> bool:
    """`x.item()`, `x.cpu()`, `x.tolist()`, `float(x)`, `cp.asnumpy(x)`: a host value out."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name):
        return node.func.id in HOST_CONVERSIONS and len(node.args) == 1
    return isinstance(node.func, ast.Attribute) and node.func.attr in HOST_READ_METHODS


def is_host_builtin(node: ast.AST) -> bool:
    """`len(batch)`, `isinstance(x, ...)`, `print(...)`: a host answer, no device work."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in HOST_BUILTINS
    )


def device_nodes(expr: ast.AST) -> Iterator[ast.AST]:
    """Nodes under `expr` whose value can reach the result on the device: not those inside a
    device-to-host read (`losses.append(loss.item())` holds a plain number)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if is_host_read(node) or is_host_builtin(node):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


# GPU libraries whose calls return only when the work is done.
HOST_SYNCHRONOUS_MODULES = ("cudf", "cuml", "cugraph", "cuspatial")


def mentions_gpu(notebook: Notebook, nodes: Iterable[ast.AST]) -> bool:
    """Whether code refers to a GPU: an identifier naming cuda/gpu/device, a "cuda" string, or a
    name bound to GPU data. Comments and prose strings do not count."""
    values = gpu_values(notebook)
    for node in walk_scope(nodes):
        if isinstance(node, ast.Name) and node.id in values:
            return True
        text = None
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.keyword | ast.arg):
            text = node.arg
        if text and any(word in text.lower() for word in GPU_IDENTIFIER_WORDS):
            return True
        if is_cuda_string(node):
            return True
    return False


def gpu_values(notebook: Notebook) -> dict[str, bool]:
    """Names bound to GPU data or models, mapped to whether their work is asynchronous.

    `a = torch.randn(n, n, device=device)`, `model = Net().to(device)`, `x = cp.asarray(...)`
    (asynchronous), `gdf = cudf.DataFrame(...)` (host-synchronous), and anything computed from
    those.
    """
    if "gpu_values" in notebook.memo:
        return notebook.memo["gpu_values"]
    values: dict[str, bool] = {}
    assignments = [
        node
        for cell in notebook.parsed_cells
        for node in cell.nodes
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None
    ]
    for cell in notebook.parsed_cells:
        for node in cell.nodes:  # type: ignore[arg-type]
            # `model.to(device)` / `model.cuda()` as a statement moves the module in place.
            call = node.value if isinstance(node, ast.Expr) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and moves_to_gpu(notebook, call)
            ):
                values[call.func.value.id] = True
    for _ in range(2):  # a second pass lets values flow through one more assignment
        for node in assignments:
            kind = gpu_kind(notebook, node.value, values)  # type: ignore[arg-type]
            if kind is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        values[name.id] = values.get(name.id, False) or kind
    notebook.memo["gpu_values"] = values
    return values


def points_to_gpu(expr: ast.AST) -> bool:
    """Whether a device argument names a GPU: `"cuda"`, `device`, `gpu`; not `"cpu"`, not a
    dtype such as `torch.float16`."""
    value = string_value(expr)
    if value is not None:
        return value.strip().startswith("cuda")
    if isinstance(expr, ast.Constant):
        return type(expr.value) is int  # `device=0` is GPU 0
    text = ast.unparse(expr).lower()
    if "cpu" in text and not any(word in text for word in ("cuda", "gpu")):
        return False
    return any(word in text for word in ("cuda", "gpu", "device"))


def gpu_kind(notebook: Notebook, expr: ast.AST, values: dict[str, bool]) -> bool | None:
    """True if `expr` yields asynchronous GPU data, False if host-synchronous GPU data, else None."""
    kind: bool | None = None
    for node in device_nodes(expr):
        if isinstance(node, ast.Name) and node.id in values:
            kind = kind or values[node.id]
        if not isinstance(node, ast.Call):
            continue
        name = notebook.names.call_name(node) or ""
        if name.startswith(HOST_SYNCHRONOUS_MODULES):
            kind = kind or False
        elif moves_to_gpu(notebook, node) or name.startswith(GPU_MODULES):
            kind = True
    return kind


def moves_to_gpu(notebook: Notebook, call: ast.Call) -> bool:
    """`.cuda()`, `.to(device)`, `f(..., device="cuda")`, `device_map="auto"`, or CUDA work."""
    method = method_name(call)
    if method == "cuda" and isinstance(call.func, ast.Attribute):
        return True
    if method == "to" and isinstance(call.func, ast.Attribute):
        targets = [*call.args, *(kw.value for kw in call.keywords if kw.arg == "device")]
        return any(points_to_gpu(target) for target in targets)
    for kw in call.keywords:
        if kw.arg == "device_map" or (kw.arg == "device" and points_to_gpu(kw.value)):
            return True
    return describe_cuda(notebook, call) is not None
