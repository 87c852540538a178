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
from gpulab.qa.lint.work import expensive_work

OOM_ERRORS = ("OutOfMemoryError", "RuntimeError", "Exception", "BaseException", "MemoryError")


class CudaWithoutOomHandling(Rule):
    """GPU training, model loading or benchmarking with no out-of-memory handling.

    ## What it does
    In a notebook that uses a GPU, finds expensive work (training loops, `from_pretrained`,
    downloads of weights, benchmarks, notebook functions doing these) in a cell that mentions a
    device, when neither the work nor its call is inside a `try` that catches
    `torch.cuda.OutOfMemoryError` (or `RuntimeError`/`Exception`) or a `with` block whose context
    manager names OOM (`gpulab.memory.oom_guard()`), and the called function does not handle OOM
    itself. One finding per cell.

    ## Why it matters
    Batch sizes, sequence lengths and model sizes come from sliders, and GPUs range from 16 GB to
    141 GB. An uncaught OOM leaves a traceback, keeps the failed allocation's tensors alive until
    the cell re-runs, and tells the reader nothing about what to change.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained(name).to(device)
    ```

    ## Fix
    ```python
    try:
        model = AutoModelForCausalLM.from_pretrained(name).to(device)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        mo.stop(True, mo.callout(mo.md("Out of GPU memory: pick a smaller model."), kind="danger"))
    ```
    or `with gpulab.memory.oom_guard(): ...`, which turns the OOM into a clear message.
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
                callee = calls_notebook_function(notebook, node)
                statement = _top_statement(cell, node)
                on_gpu = mentions_gpu(notebook, [statement]) or (
                    callee is not None
                    and mentions_gpu(notebook, notebook.functions[callee][0].body)
                )
                if not on_gpu or _oom_handled(cell, node):
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


def _top_statement(cell: Cell, node: ast.AST) -> ast.AST:
    """The cell-level statement holding `node` (a download's whole `x = ....to(device)` line)."""
    top = node
    for parent in cell.ancestors_of(node):
        if isinstance(parent, ast.Module):
            break
        top = parent
    return top


def _is_oom_context(item: ast.withitem) -> bool:
    return "oom" in ast.unparse(item.context_expr).lower()


def _oom_handled(cell: Cell, node: ast.AST) -> bool:
    for parent, child in enclosing(cell, node, (ast.Try, ast.With, ast.AsyncWith)):
        catches = isinstance(parent, ast.Try) and any(
            handler_catches(handler, OOM_ERRORS) for handler in parent.handlers
        )
        if catches and child in parent.body:  # type: ignore[attr-defined]
            return True
        if isinstance(parent, ast.With | ast.AsyncWith) and any(map(_is_oom_context, parent.items)):
            return True
    return False


def _handles_oom(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    for node in walk_scope(body):
        if isinstance(node, ast.Try) and any(handler_catches(h, OOM_ERRORS) for h in node.handlers):
            return True
        if isinstance(node, ast.With | ast.AsyncWith) and any(map(_is_oom_context, node.items)):
            return True
    return False
