"""Facts several rules share: scopes, CUDA work, gates, expensive work, timers, markdown text.

Each helper answers one question about code the way marimo runs it: a cell's top level runs when
the cell runs; a function body runs only where the function is called, so facts about notebook
functions are summarised once per notebook and consulted at their call sites.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from gpulab.qa.lint.model import Cell, Notebook, walk_scope
from gpulab.qa.lint.names import literal_parts, method_name, root_call, string_value

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


def calls_notebook_function(notebook: Notebook, node: ast.AST) -> str | None:
    """The name of the notebook-defined function `node` calls, if it is such a call."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in notebook.functions
    ):
        return node.func.id
    return None


def function_has(
    notebook: Notebook,
    key: str,
    name: str,
    direct: Callable[[Notebook, Cell, list[ast.stmt]], bool],
) -> bool:
    """Whether notebook function `name` has a property itself or through functions it calls.

    `direct` looks at one body without following calls; this follows them, once per function.
    """
    memo: dict[str, bool] = notebook.memo.setdefault(f"function:{key}", {})
    if name in memo:
        return memo[name]
    memo[name] = False  # recursion guard
    node, cell = notebook.functions[name]
    result = direct(notebook, cell, node.body) or any(
        function_has(notebook, key, callee, direct)
        for callee in filter(
            None, (calls_notebook_function(notebook, n) for n in walk_scope(node.body))
        )
    )
    memo[name] = result
    return result


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


# ---------------------------------------------------------------------------------------------
# GPU: CUDA work and the checks that make it safe on a machine without a GPU

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
            kind = _gpu_kind(notebook, node.value, values)  # type: ignore[arg-type]
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


def _gpu_kind(notebook: Notebook, expr: ast.AST, values: dict[str, bool]) -> bool | None:
    """True if `expr` yields asynchronous GPU data, False if host-synchronous GPU data, else None."""
    kind: bool | None = None
    for node in ast.walk(expr):
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


# ---------------------------------------------------------------------------------------------
# Gates: what keeps a cell from running (mo.stop, gpulab's gate helpers, disabled cells)

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


# ---------------------------------------------------------------------------------------------
# Expensive work: model downloads, training loops, benchmarks

# Model weights: gigabytes on first use. (Datasets are left alone: most are small or streamed.)
DOWNLOADS = {
    "torch.hub.load",
    "huggingface_hub.snapshot_download",
    "huggingface_hub.hf_hub_download",
    "transformers.pipeline",
    "sentence_transformers.SentenceTransformer",
}
WALL_CLOCKS = {
    "time.time",
    "time.perf_counter",
    "time.monotonic",
    "time.time_ns",
    "time.perf_counter_ns",
    "time.monotonic_ns",
    "timeit.default_timer",
}
# Methods that run a whole measurement: torch.utils.benchmark.Timer, triton.testing.
BENCHMARK_METHODS = {"do_bench", "blocked_autorange", "adaptive_autorange", "timeit"}


def is_wall_clock(notebook: Notebook, node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and notebook.names.call_name(node) in WALL_CLOCKS


def _receiver(call: ast.Call) -> str:
    if isinstance(call.func, ast.Attribute):
        return ast.unparse(call.func.value).lower()
    return ""


def is_training_step(node: ast.AST) -> bool:
    """`loss.backward()`, `optimizer.step()`, `trainer.train()`: training is happening here."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    method, receiver = node.func.attr, _receiver(node)
    if method == "backward":
        return True
    if method == "step" and ("optim" in receiver or receiver in ("opt", "optimiser")):
        return True
    return method in ("train", "fit") and "trainer" in receiver


def is_training_loop(loop: ast.AST) -> bool:
    return isinstance(loop, LoopNode) and any(
        is_training_step(node) for node in walk_scope(loop.body)
    )


def describe_expensive(notebook: Notebook, scope_body: list[ast.stmt], node: ast.AST) -> str | None:
    """If `node` starts expensive work (download, training, benchmark), say what; else None."""
    if isinstance(node, LoopNode):
        if is_training_loop(node):
            return "a training loop"
        if _is_timed_loop(notebook, scope_body, node):
            return "a timed benchmark loop"
        return None
    if not isinstance(node, ast.Call):
        return None
    name = notebook.names.call_name(node) or ""
    method = method_name(node) or ""
    func_text = ast.unparse(node.func)
    if method == "from_pretrained":
        return f"`{func_text}(...)` (model download and load)"
    if name in DOWNLOADS:
        return f"`{name}(...)` (download)"
    if name.startswith("torchvision.models.") and any(
        kw.arg in ("weights", "pretrained")
        and not (isinstance(kw.value, ast.Constant) and kw.value.value in (None, False))
        for kw in node.keywords
    ):
        return f"`{name}(...)` (pretrained weights download)"
    if is_training_step(node) and method in ("train", "fit"):
        return f"`{func_text}()` (training)"
    if name in ("timeit.timeit", "timeit.repeat") or method in BENCHMARK_METHODS:
        return f"`{func_text}(...)` (benchmark)"
    last = (name.rsplit(".", 1)[-1] if name else method).lower()
    if "benchmark" in last and not calls_notebook_function(notebook, node):
        return f"`{func_text}(...)` (benchmark)"
    callee = calls_notebook_function(notebook, node)
    if callee and function_has(notebook, "expensive", callee, _has_direct_expensive):
        return f"`{callee}()`, which runs expensive work"
    return None


def _has_direct_expensive(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    return any(
        describe_expensive(notebook, body, node)
        for node in walk_scope(body)
        if not calls_notebook_function(notebook, node)
    )


def _is_timed_loop(notebook: Notebook, scope_body: list[ast.stmt], loop: ast.AST) -> bool:
    """A loop with a wall clock read inside it, or between two reads: a benchmark."""
    if any(is_wall_clock(notebook, node) for node in walk_scope(loop.body)):  # type: ignore[attr-defined]
        return True
    start, end = position(loop), end_position(loop)
    clocks = [position(node) for node in walk_scope(scope_body) if is_wall_clock(notebook, node)]
    return any(c < start for c in clocks) and any(c > end for c in clocks)


def expensive_work(notebook: Notebook, body: list[ast.stmt]) -> Iterator[tuple[ast.AST, str]]:
    """Expensive work in `body`'s own scope, outermost only (a loop stands for what it holds)."""
    covered: set[ast.AST] = set()
    for node in walk_scope(body):
        if node in covered:
            continue
        description = describe_expensive(notebook, body, node)
        if description:
            covered.update(walk_scope([node]))
            yield node, description


# ---------------------------------------------------------------------------------------------
# Text the reader sees

DISPLAY_TEXT_CALLS = {"marimo.md", "marimo.callout", "marimo.Html"}


@dataclass(frozen=True)
class Text:
    """Literal prose shown to the reader: the module docstring, or an `mo.md` string's literal
    parts (interpolated values are not text: they were measured)."""

    cell: Cell | None
    node: ast.AST
    parts: tuple[str, ...]
    file_line: int  # where the string starts in the file
    is_plain: bool  # a plain string, so offsets inside it map to lines


def header_docstring_node(header: str) -> ast.Constant | None:
    try:
        module = ast.parse(header or "")
    except SyntaxError:
        return None
    if module.body and isinstance(module.body[0], ast.Expr):
        value = module.body[0].value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value
    return None


def markdown_texts(notebook: Notebook) -> Iterator[Text]:
    doc = header_docstring_node(notebook.header)
    if doc is not None:
        yield Text(None, doc, (str(doc.value),), doc.lineno, True)
    for cell in notebook.parsed_cells:
        for node in cell.nodes:  # type: ignore[arg-type]
            if not (isinstance(node, ast.Call) and node.args):
                continue
            if notebook.names.call_name(node) in DISPLAY_TEXT_CALLS:
                arg = _literal_behind(cell, node.args[0])
                parts = literal_parts(arg)
                if parts:
                    plain = isinstance(arg, ast.Constant)
                    yield Text(cell, arg, tuple(parts), cell.line_of(arg), plain)


def _literal_behind(cell: Cell, node: ast.expr) -> ast.expr:
    """`text = "..."; mo.md(text)`: the literal a name was assigned in the same cell."""
    if not isinstance(node, ast.Name):
        return node
    for candidate in cell.scope_nodes(cell.body):
        if (
            isinstance(candidate, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in candidate.targets)
            and isinstance(candidate.value, ast.Constant | ast.JoinedStr)
        ):
            return candidate.value
    return node


def inside_call_named(notebook: Notebook, cell: Cell, node: ast.AST, names: set[str]) -> bool:
    return any(
        (notebook.names.call_name(parent) or "") in names
        for parent, _ in enclosing(cell, node, ast.Call)
    )


def root_call_name(notebook: Notebook, node: ast.AST) -> str | None:
    """`mo.md("x").callout()` -> 'marimo.md'."""
    call = root_call(node)
    return notebook.names.call_name(call) if call is not None else None
