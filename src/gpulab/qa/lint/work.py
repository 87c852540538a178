"""Expensive work: model downloads, training loops, benchmarks, and the wall clocks that time
them."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gpulab.qa.lint.analysis import (
    LoopNode,
    calls_notebook_function,
    end_position,
    function_has,
    position,
)
from gpulab.qa.lint.model import Cell, Notebook, walk_scope
from gpulab.qa.lint.models import (
    is_test_sized,
    is_trainer_construction,
    is_training_call,
    model_id_argument,
)
from gpulab.qa.lint.names import keyword, method_name, root_call, string_value

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
        model_id = string_value(model_id_argument(node))
        return None if is_test_sized(model_id) else f"`{func_text}(...)` (model download and load)"
    if name in DOWNLOADS and not _runs_a_built_pipeline(name, node):
        model_id = string_value(
            model_id_argument(node, 1, ("model", "model_name_or_path", "repo_id"))
        )
        return None if is_test_sized(model_id) else f"`{name}(...)` (download)"
    if name.startswith("torchvision.models.") and any(
        kw.arg in ("weights", "pretrained")
        and not (isinstance(kw.value, ast.Constant) and kw.value.value in (None, False))
        for kw in node.keywords
    ):
        return f"`{name}(...)` (pretrained weights download)"
    if is_training_call(notebook, node):
        return f"`{func_text}()` (training)"
    if is_trainer_construction(notebook, node) and keyword(node, "train_dataset") is not None:
        return f"`{func_text}(...)` (prepares the training data)"
    if isinstance(node.func, ast.Name) and node.func.id in pipeline_names(notebook):
        return f"`{func_text}(...)` (a diffusion pipeline run)"
    if name in ("timeit.timeit", "timeit.repeat") or method in BENCHMARK_METHODS:
        return f"`{func_text}(...)` (benchmark)"
    last = (name.rsplit(".", 1)[-1] if name else method).lower()
    if "benchmark" in last and not calls_notebook_function(notebook, node):
        return f"`{func_text}(...)` (benchmark)"
    callee = calls_notebook_function(notebook, node)
    if callee and function_has(notebook, "expensive", callee, _has_direct_expensive):
        return f"`{callee}()` (which runs expensive work)"
    return None


_TASK = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _runs_a_built_pipeline(name: str, call: ast.Call) -> bool:
    """`pipeline("Say something: ")` after `pipeline = pipeline("text-generation", ...)`: the
    name now holds the built pipeline, and a call whose first argument is text, not a task name
    (`"text-generation"`), runs it rather than downloading one."""
    if name != "transformers.pipeline" or not call.args:
        return False
    if keyword(call, "model") is not None or keyword(call, "task") is not None:
        return False
    first = string_value(call.args[0])
    return first is not None and not _TASK.fullmatch(first)


def pipeline_names(notebook: Notebook) -> set[str]:
    """Names bound to a diffusers pipeline: `pipe = StableDiffusionPipeline.from_pretrained(...)`
    (and `pipe = pipe.to("cuda")`); calling one generates images on the GPU."""
    if "pipeline_names" not in notebook.memo:
        names: set[str] = set()
        for _ in range(2):
            for cell in notebook.parsed_cells:
                for node in cell.nodes:
                    if isinstance(node, ast.Assign) and _builds_pipeline(
                        notebook, node.value, names
                    ):
                        names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        notebook.memo["pipeline_names"] = names
    return notebook.memo["pipeline_names"]


def _builds_pipeline(notebook: Notebook, value: ast.AST, known: set[str]) -> bool:
    call = root_call(value)
    if call is not None:
        name = notebook.names.call_name(call) or ast.unparse(call.func)
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        if name.startswith("diffusers.") or ("Pipeline" in owner and "from_pretrained" in name):
            return True
    moved = (  # `pipe = pipe.to("cuda")` keeps the pipeline
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in ("to", "cuda", "half")
    )
    target = value.func.value if moved else None  # type: ignore[union-attr]
    return isinstance(target, ast.Name) and target.id in known


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
