"""GL402 timing-without-warmup."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gpulab.qa.lint.analysis import LoopNode, Scope, enclosing, identifier_texts, position
from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.timing import TimedRegion, gpu_timed_regions

AGGREGATES = ("min", "median", "percentile", "quantile", "sorted")


def mentions_warmup(scope: Scope) -> bool:
    """`warmup`, `n_warmup`, `"warm-up"`, `# warm up` anywhere in the scope."""
    nodes = [scope.function] if scope.function is not None else scope.body
    if any("warm" in text.lower() for node in nodes for text in identifier_texts(node)):
        return True
    return bool(re.search(r"#.*warm", scope.source, re.IGNORECASE))


def called_before(region: TimedRegion) -> bool:
    """Whether some GPU call in the region was already made before its clock started."""
    timed = {ast.unparse(op.func) for op in region.gpu_ops if isinstance(op, ast.Call)}
    return any(
        isinstance(node, ast.Call)
        and position(node) < position(region.start)
        and ast.unparse(node.func) in timed
        for node in region.scope.walk()
    )


def repeated_and_aggregated(region: TimedRegion) -> bool:
    """Timed inside a loop and summarised robustly (min/median, or the first runs sliced off)."""
    cell = region.scope.cell
    loops = {id(loop) for loop, _ in enclosing(cell, region.start, LoopNode)}
    if not any(id(loop) in loops for loop, _ in enclosing(cell, region.stop, LoopNode)):
        return False
    for node in region.scope.walk():
        if isinstance(node, ast.Call) and any(
            word in ast.unparse(node.func).lower() for word in AGGREGATES
        ):
            return True
        if isinstance(node, ast.Slice) and isinstance(node.lower, ast.Constant | ast.Name):
            return True
    return False


class TimingWithoutWarmup(Rule):
    """GPU work timed on its first run, with no warm-up before the clock starts.

    ## What it does
    For each timed region that contains GPU work (see `unsynchronized-timing`; cuDF and friends
    included), checks for a warm-up: the timed call was already made earlier in the same scope,
    the scope says `warmup` (a variable, parameter, string or comment), or the measurement is
    repeated in a loop and summarised with `min`/`median`/a percentile or by slicing the first
    runs off. One finding per scope.

    ## Why it matters
    The first call pays for CUDA context creation, cuBLAS/cuDNN handle setup, kernel selection,
    JIT compilation (`torch.compile`, CuPy, cuDF), and the caching allocator's first `cudaMalloc`.
    A single cold run can take many times the steady-state time, and comparing a cold GPU run with a warm
    CPU run inverts the conclusion.

    ## Example
    ```python
    start = time.perf_counter()
    result = gdf.groupby("key").mean()
    elapsed = time.perf_counter() - start
    ```

    ## Fix
    ```python
    gdf.groupby("key").mean()  # warm-up: JIT, allocator, caches
    start = time.perf_counter()
    result = gdf.groupby("key").mean()
    elapsed = time.perf_counter() - start
    ```
    or `gpulab.timing.benchmark(fn, warmup=3, repeats=10)`.
    """

    code = "GL402"
    name = "timing-without-warmup"
    severity = Severity.WARNING
    summary = "GPU work timed on its first (cold) run, with no warm-up"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        reported: set[tuple[int, int]] = set()
        for region in gpu_timed_regions(notebook):
            scope = region.scope
            key = (scope.cell.index, getattr(scope.function, "lineno", 0))
            if key in reported:
                continue
            if mentions_warmup(scope) or called_before(region) or repeated_and_aggregated(region):
                continue
            reported.add(key)
            yield self.finding(
                notebook,
                scope.cell,
                region.start,
                "GPU work is timed on its first run: the measurement includes CUDA context "
                "setup, kernel selection and JIT compilation; run it once (or a few times) "
                "before starting the clock",
            )
