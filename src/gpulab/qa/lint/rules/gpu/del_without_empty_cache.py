"""GL103 del-without-empty-cache."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.analysis import (
    LoopNode,
    calls_notebook_function,
    enclosing,
    function_has,
    position,
    scopes,
    walk_scope,
)
from gpulab.qa.lint.gpu import mentions_gpu, uses_gpu
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import method_name

RELEASE_WORDS = ("empty_cache", "release_memory", "free_memory", "clear_cache", "free_gpu")


class DelWithoutEmptyCache(Rule):
    """`del` of GPU objects with no `torch.cuda.empty_cache()` afterwards.

    ## What it does
    In a notebook that uses a GPU, flags `del` statements in code that talks about a device when
    nothing after them in the same scope (or in the same loop) calls `torch.cuda.empty_cache()`,
    `gpulab.memory.release_memory()` or a notebook function that does. Deleting a warm-up's
    scratch tensors (`del _warmup_batch, _`, names with warm/tmp/temp/scratch/dummy) is not
    reported: they are small, and the cache keeps their blocks for the steps that follow.

    ## Why it matters
    `del model` drops a Python reference; PyTorch's caching allocator keeps the freed blocks
    reserved. `nvidia-smi`, other processes and the notebook's own memory readout still see the
    memory as used, so the "free memory" the reader was promised never appears.

    ## Example
    ```python
    del model, optimizer
    ```

    ## Fix
    ```python
    del model, optimizer
    gc.collect()
    torch.cuda.empty_cache()
    ```
    or `gpulab.memory.release_memory()`, which does both.
    """

    code = "GL103"
    name = "del-without-empty-cache"
    severity = Severity.WARNING
    summary = "`del` of GPU objects without `torch.cuda.empty_cache()` afterwards"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        if not uses_gpu(notebook):
            return
        for cell in notebook.parsed_cells:
            for scope in scopes(cell):
                if not mentions_gpu(notebook, scope.body):
                    continue
                releases = [node for node in scope.walk() if _releases_memory(notebook, node)]
                for node in scope.walk():
                    if not isinstance(node, ast.Delete) or _scratch_only(node):
                        continue
                    if not _released_after(cell, node, releases):
                        names = ", ".join(ast.unparse(target) for target in node.targets)
                        yield self.finding(
                            notebook,
                            cell,
                            node,
                            f"`del {names}` drops the reference but PyTorch keeps the memory "
                            "cached; call `torch.cuda.empty_cache()` (after `gc.collect()`) so "
                            "the GPU memory is actually returned",
                        )


SCRATCH_WORDS = ("warm", "tmp", "temp", "scratch", "dummy")


def _scratch_only(node: ast.Delete) -> bool:
    """`del _warmup_batch, _`: a warm-up's scratch tensors are small, and the cache keeps
    their blocks for the steps that follow, which is what it is for."""
    names = [target.id for target in node.targets if isinstance(target, ast.Name)]
    return len(names) == len(node.targets) and all(
        name.strip("_") == "" or any(word in name.lower() for word in SCRATCH_WORDS)
        for name in names
    )


def _releases_memory(notebook: Notebook, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = (notebook.names.call_name(node) or method_name(node) or "").lower()
    if any(word in name for word in RELEASE_WORDS):
        return True
    callee = calls_notebook_function(notebook, node)
    return bool(callee) and function_has(notebook, "release", callee, _has_release)


def _has_release(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    return any(
        _releases_memory(notebook, node)
        for node in walk_scope(body)
        if not calls_notebook_function(notebook, node)
    )


def _released_after(cell: Cell, node: ast.Delete, releases: list[ast.AST]) -> bool:
    if any(position(release) > position(node) for release in releases):
        return True
    loops = [loop for loop, _ in enclosing(cell, node, LoopNode)]
    return any(release in set(ast.walk(loop)) for loop in loops for release in releases)
