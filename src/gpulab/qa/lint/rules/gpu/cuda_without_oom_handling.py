"""GL102 cuda-without-oom-handling."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.analysis import (
    calls_notebook_function,
    enclosing,
    function_has,
    runs_on_load,
    walk_scope,
)
from gpulab.qa.lint.gpu import handler_catches, mentions_gpu, uses_gpu
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.models import is_trainer_construction, is_training_call, model_load
from gpulab.qa.lint.names import method_name
from gpulab.qa.lint.work import expensive_work

OOM_ERRORS = ("OutOfMemoryError", "RuntimeError", "Exception", "BaseException", "MemoryError")
# gpulab context managers that turn an OOM into a message (`gpu_step` wraps `oom_guard`).
OOM_CONTEXTS = {"gpu_step", "oom_guard"}


class CudaWithoutOomHandling(Rule):
    """GPU training, model loading or benchmarking with no out-of-memory handling.

    ## What it does
    In a notebook that uses a GPU, finds work where GPU memory is really at stake: training
    loops, `trainer.train()` / `.fit(...)`, loads of large weights (`from_pretrained` of a model
    of a billion parameters or more, of a size the id does not tell, or chosen by the reader in
    the UI), diffusion pipeline runs, benchmarks, and notebook functions doing these. Loads and
    training through a library (`trainer.train()`, an 8B `from_pretrained` with
    `device_map`/4-bit loading) count wherever they are; the rest counts in a cell that mentions
    a device. It is reported when neither the work nor its call is inside a `try` that catches
    `torch.cuda.OutOfMemoryError` (or `RuntimeError`/`Exception`) or a `with` block that turns
    an OOM into a message (`gpulab.memory.oom_guard()`, `gpulab.ui.gpu_step(...)`, any context
    manager naming OOM), and the called function does not handle OOM itself. One finding per
    cell.

    Tokenizers, configs and models under a billion parameters (GPT-2's 124M, `SmolLM2-360M`)
    are not reported: their weights fit on any GPU; the training that follows is the risk.

    ## Why it matters
    Batch sizes, sequence lengths and model sizes come from sliders, and GPUs range from 16 GB to
    141 GB. An uncaught OOM leaves a traceback, keeps the failed allocation's tensors alive until
    the cell re-runs, and tells the reader nothing about what to change.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B").to(device)
    ```

    ## Fix
    ```python
    try:
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B").to(device)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        mo.stop(True, mo.callout(mo.md("Out of GPU memory: pick a smaller model."), kind="danger"))
    ```
    or `with gpulab.memory.oom_guard(): ...` / `with gpulab.ui.gpu_step("loading"): ...`, which
    turn the OOM into a clear message.

    ## Known problems
    Model sizes are read off the model id (`Llama-3.1-8B`, `opt-350m`) or a short table of
    well-known ids; an id that names no size counts as large.
    """

    code = "GL102"
    name = "cuda-without-oom-handling"
    severity = Severity.WARNING
    summary = "GPU training/loading/benchmarking with no `torch.cuda.OutOfMemoryError` handling"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        if not uses_gpu(notebook):
            return
        for cell in notebook.parsed_cells:
            if not runs_on_load(cell):
                continue
            for node, description in expensive_work(notebook, cell.body):
                stake = memory_at_stake(notebook, cell, node)
                if stake is None:
                    continue
                callee = calls_notebook_function(notebook, node)
                statement = _top_statement(cell, node)
                on_gpu = (
                    stake
                    or mentions_gpu(notebook, [statement])
                    or (
                        callee is not None
                        and mentions_gpu(notebook, notebook.functions[callee][0].body)
                    )
                )
                if not on_gpu or _oom_handled(notebook, cell, node):
                    continue
                if callee and function_has(notebook, "oom", callee, _handles_oom):
                    continue
                yield self.finding(
                    notebook,
                    cell,
                    node,
                    f"{description} runs on the GPU with no out-of-memory handling; wrap it in "
                    "`try: ... except torch.cuda.OutOfMemoryError:` (free the cache, say what to "
                    "reduce) or `with gpulab.memory.oom_guard():`",
                )
                break


def memory_at_stake(notebook: Notebook, cell: Cell, node: ast.AST) -> bool | None:
    """None when `node` cannot exhaust GPU memory (a tokenizer, a model under a billion
    parameters); True when it takes GPU memory by itself (weights of a billion parameters or of
    the reader's choosing, a `trainer.train()`); False when it does if it runs on the GPU."""
    if method_name(node) == "from_pretrained":
        load = model_load(notebook, cell, node)
        return True if load is not None and load.large else None
    if is_training_call(notebook, node):
        return True
    if is_trainer_construction(notebook, node):
        return None  # building the trainer allocates little; its `.train()` is the risk
    return False


def _top_statement(cell: Cell, node: ast.AST) -> ast.AST:
    """The cell-level statement holding `node` (a download's whole `x = ....to(device)` line)."""
    top = node
    for parent in cell.ancestors_of(node):
        if isinstance(parent, ast.Module):
            break
        top = parent
    return top


def _is_oom_context(notebook: Notebook, item: ast.withitem) -> bool:
    """`with oom_guard():`, `with gpulab.ui.gpu_step("training"):` (which wraps `oom_guard`)."""
    expr = item.context_expr
    if "oom" in ast.unparse(expr).lower():
        return True
    name = notebook.names.call_name(expr) or ""
    return name.rsplit(".", 1)[-1] in OOM_CONTEXTS and (
        name.startswith("gpulab.") or "." not in name
    )


def _oom_handled(notebook: Notebook, cell: Cell, node: ast.AST) -> bool:
    for parent, child in enclosing(cell, node, (ast.Try, ast.With, ast.AsyncWith)):
        catches = isinstance(parent, ast.Try) and any(
            handler_catches(handler, OOM_ERRORS) for handler in parent.handlers
        )
        if catches and child in parent.body:  # type: ignore[attr-defined]
            return True
        if isinstance(parent, ast.With | ast.AsyncWith) and any(
            _is_oom_context(notebook, item) for item in parent.items
        ):
            return True
    return False


def _handles_oom(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    for node in walk_scope(body):
        if isinstance(node, ast.Try) and any(handler_catches(h, OOM_ERRORS) for h in node.handlers):
            return True
        if isinstance(node, ast.With | ast.AsyncWith) and any(
            _is_oom_context(notebook, item) for item in node.items
        ):
            return True
    return False
