"""GL402 timing-without-warmup."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gpulab.qa.lint.analysis import LoopNode, Scope, enclosing, identifier_texts, position
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
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


def warmed_up(notebook: Notebook, region: TimedRegion) -> bool:
    """Whether the timed work ran before the clock started: in the same scope, in a cell
    upstream, or, for a timing function, before every call of it."""
    scope = region.scope
    if mentions_warmup(scope) or called_before(region) or repeated_and_aggregated(region):
        return True
    if any(_warms(notebook, cell, region) for cell in notebook.ancestors_of(scope.cell)):
        return True
    return scope.function is not None and _callers_warm(notebook, scope.function.name, region)


def _timed_calls(notebook: Notebook, region: TimedRegion) -> set[str]:
    """What an earlier run of the timed work looks like: the same call written out in full, or
    a call of the same model, pipeline or notebook function (not just any `torch.zeros`)."""
    out: set[str] = set()
    for op in region.gpu_ops:
        if not isinstance(op, ast.Call):
            continue
        out.add(ast.unparse(op))
        if isinstance(op.func, ast.Name) and notebook.names.resolve(op.func.id) == op.func.id:
            out.add(op.func.id)
    return out


def _runs_timed_work(notebook: Notebook, node: ast.AST, timed: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    return ast.unparse(node) in timed or (isinstance(node.func, ast.Name) and node.func.id in timed)


def _warms(notebook: Notebook, cell: Cell, region: TimedRegion) -> bool:
    """An upstream cell that says it warms up, or already makes one of the timed calls."""
    if mentions_warmup(Scope(cell, cell.body)):
        return True
    if cell is region.scope.cell:
        return False  # its calls of the timed work are the measurement itself
    timed = _timed_calls(notebook, region)
    return any(_runs_timed_work(notebook, node, timed) for node in cell.nodes)


def _callers_warm(notebook: Notebook, function: str, region: TimedRegion) -> bool:
    """Every cell that calls (or hands on) the timing function warms up before it does: it
    says so, calls the function earlier, or has a warming cell upstream."""
    users = [cell for cell in notebook.parsed_cells if cell is not region.scope.cell]
    users = [cell for cell in users if function in cell.refs or _holds(notebook, cell, function)]
    if not users:
        return False
    for cell in users:
        calls = [
            n
            for n in cell.nodes
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == function
        ]
        earlier_call = len(calls) > 1
        upstream = any(_warms(notebook, c, region) for c in notebook.ancestors_of(cell))
        if not (mentions_warmup(Scope(cell, cell.body)) or earlier_call or upstream):
            return False
    return True


def _holds(notebook: Notebook, cell: Cell, function: str) -> bool:
    """Whether `cell` reads a name that the function's own cell builds from the function (a
    dispatch table such as `{"filter": benchmark_filter}`)."""
    definer = notebook.functions.get(function, (None, None))[1]
    if definer is None:
        return False
    holders = {
        target.id
        for node in definer.scope_nodes(definer.body)
        if isinstance(node, ast.Assign)
        and any(isinstance(n, ast.Name) and n.id == function for n in ast.walk(node.value))
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return bool(holders & cell.refs)


class TimingWithoutWarmup(Rule):
    """GPU work timed on its first run, with no warm-up before the clock starts.

    ## What it does
    For each timed region that contains GPU work (see `unsynchronized-timing`; cuDF and friends
    included; networkx, pandas and NumPy are CPU work), checks for a warm-up: the timed call was
    already made earlier in the same scope or in a cell upstream (the same call written out, or
    a call of the same model, pipeline or notebook function), the scope or a cell upstream says
    `warmup` (a variable, parameter, string or comment), the measurement is repeated in a loop
    and summarised with `min`/`median`/a percentile or by slicing the first runs off, or, for a
    timing function, every cell that calls it (or reads the table it is stored in) warms up
    first or calls it more than once. Function parameters hold GPU data only if a call passes
    GPU data. One finding per scope.

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
            if warmed_up(notebook, region):
                continue
            reported.add(key)
            yield self.finding(
                notebook,
                scope.cell,
                region.start,
                "GPU work is timed on its first run: the measurement includes one-time costs "
                "(CUDA context, library handles, kernel selection, JIT compilation); run it "
                "once (or a few times) before starting the clock",
            )
