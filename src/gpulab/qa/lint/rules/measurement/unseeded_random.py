"""GL403 unseeded-random."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.analysis import calls_notebook_function, function_has, position, walk_scope
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import keyword, method_name
from gpulab.qa.lint.work import is_training_step, is_wall_clock

TORCH_DRAWS = {
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
    "normal", "bernoulli", "multinomial", "poisson",
}  # fmt: skip
TORCH_IN_PLACE_DRAWS = {
    "uniform_",
    "normal_",
    "random_",
    "bernoulli_",
    "exponential_",
    "geometric_",
    "cauchy_",
    "log_normal_",
}
NUMPY_NOT_DRAWS = {
    "seed", "default_rng", "RandomState", "Generator", "SeedSequence", "get_state", "set_state",
    "PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64", "BitGenerator",
}  # fmt: skip
PY_RANDOM_DRAWS = {
    "random", "randint", "randrange", "choice", "choices", "shuffle", "sample", "uniform",
    "gauss", "normalvariate", "triangular", "betavariate", "expovariate", "getrandbits",
}  # fmt: skip
# Library-specific global seeders; any other call whose name contains "seed" seeds everything.
SEEDERS = {
    "torch": {
        "torch.manual_seed",
        "torch.random.manual_seed",
        "torch.cuda.manual_seed",
        "torch.cuda.manual_seed_all",
    },
    "numpy": {"numpy.random.seed"},
    "random": {"random.seed"},
    "cupy": {"cupy.random.seed"},
}
ALL_SPECIFIC = set().union(*SEEDERS.values())
GENERATOR_FACTORIES = {"numpy.random.default_rng", "numpy.random.RandomState", "random.Random"}


def draw_library(notebook: Notebook, node: ast.AST) -> str | None:
    """Which global random generator this call draws from (torch/numpy/random/cupy), if any."""
    if not isinstance(node, ast.Call):
        return None
    name = notebook.names.call_name(node) or ""
    parts = name.split(".")
    if keyword(node, "generator") is not None or keyword(node, "random_state") is not None:
        return None
    if name.startswith("torch.") and parts[-1] in TORCH_DRAWS and len(parts) in (2, 3):
        return "torch"
    if name == "torch.utils.data.random_split":
        return "torch"
    if method_name(node) in TORCH_IN_PLACE_DRAWS and isinstance(node.func, ast.Attribute):
        return "torch"
    for module, library in (("numpy.random.", "numpy"), ("cupy.random.", "cupy")):
        if name.startswith(module) and len(parts) == 3 and parts[-1] not in NUMPY_NOT_DRAWS:
            return library
    if name in GENERATOR_FACTORIES and not (node.args or node.keywords):
        return "numpy" if name.startswith("numpy") else "random"
    if name.startswith("random.") and len(parts) == 2 and parts[1] in PY_RANDOM_DRAWS:
        return "random"
    return None


def _creates_generator(notebook: Notebook, node: ast.AST) -> bool:
    return notebook.names.call_name(node) in GENERATOR_FACTORIES


def seeds(notebook: Notebook, node: ast.AST) -> set[str]:
    """Libraries whose global generator this call seeds; {'*'} for a seed-everything helper."""
    if not isinstance(node, ast.Call):
        return set()
    name = notebook.names.call_name(node) or method_name(node) or ""
    found = {library for library, names in SEEDERS.items() if name in names}
    if not found and "seed" in name.rsplit(".", 1)[-1].lower() and name not in ALL_SPECIFIC:
        found = {"*"}
    callee = calls_notebook_function(notebook, node)
    if callee and function_has(notebook, "seeds", callee, _seeds_something):
        found.add("*")
    return found


def _seeds_something(notebook: Notebook, cell: Cell, body: list[ast.stmt]) -> bool:
    return any(seeds(notebook, node) for node in walk_scope(body))


def result_cells(notebook: Notebook) -> set[int]:
    """Indexes of the cells whose numbers are meant to be reproduced: cells that train
    (`.backward()`, `optimizer.step()`, `trainer.train()`) or time work (two clock reads,
    `timeit`), and every cell they depend on. Random numbers anywhere else are demo data for a
    plot, a widget or a simulation whose randomness is the point."""
    if "result_cells" not in notebook.memo:
        found: set[int] = set()
        for cell in notebook.parsed_cells:
            if _trains_or_times(notebook, cell):
                found.add(cell.index)
                found.update(c.index for c in notebook.ancestors_of(cell))
        notebook.memo["result_cells"] = found
    return notebook.memo["result_cells"]


def _trains_or_times(notebook: Notebook, cell: Cell) -> bool:
    clocks = 0
    for node in cell.nodes:
        if is_training_step(node):
            return True
        if is_wall_clock(notebook, node):
            clocks += 1
        elif notebook.names.call_name(node) in ("timeit.timeit", "timeit.repeat"):
            return True
    return clocks >= 2


def _discarded(cell: Cell, node: ast.AST) -> bool:
    """A draw whose numbers go nowhere: a statement of its own that is not the cell's output
    (`np.random.rand(1)` to warm the generator up). In-place draws (`rng.shuffle(x)`,
    `w.normal_()`) change their argument and still count."""
    statement = cell.parents.get(node)
    if not isinstance(statement, ast.Expr) or (cell.body and statement is cell.body[-1]):
        return False
    method = method_name(node) or ""
    return method != "shuffle" and not method.endswith("_")


class UnseededRandom(Rule):
    """Random numbers drawn from a global generator that was never seeded.

    ## What it does
    In cells whose numbers are meant to be reproduced (a cell that trains a model or times work,
    and the cells it depends on), flags draws from global generators (`torch.rand/randn/randint/randperm/normal/...`, in-place
    `tensor.normal_()`, `np.random.*` legacy functions, `random.*`, `cp.random.*`,
    `random_split` without a `generator=`, and `np.random.default_rng()` /
    `random.Random()` with no seed) whose numbers are used (a draw on a line of its own, such
    as `np.random.rand(1)` to warm up, is not) when the generator was not seeded first: by
    `torch.manual_seed`/`np.random.seed`/`random.seed` for that library, or by any
    seed-everything helper (`seed_everything`, `set_seed`, `gpulab.repro.seed_everything`, a
    notebook function that seeds), earlier in the same cell, in a cell it depends on, or in a
    cell above it. Draws inside a function are seeded if the function seeds, takes a
    `seed`/`generator`/`rng` parameter, or the notebook seeds anywhere. One finding per cell and
    generator: one seed fixes them all.

    ## Why it matters
    Every run, every reviewer and every CI job sees different data, losses and "speed-ups", so
    no number in the notebook can be reproduced or compared, and a bug that shows once never
    shows again.

    Random data for a plot, a widget or a simulation whose randomness is the point (a cell that
    no training or timing depends on) is not reported.

    ## Example
    ```python
    x = torch.randn(1024, 1024)
    ```

    ## Fix
    ```python
    torch.manual_seed(0)
    x = torch.randn(1024, 1024)
    ```
    or `rng = np.random.default_rng(0)` and draw from `rng`.
    """

    code = "GL403"
    name = "unseeded-random"
    severity = Severity.WARNING
    summary = "Random numbers drawn from a global generator that was never seeded"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        relevant = result_cells(notebook)
        if not relevant:
            return
        seeded_cells: dict[int, set[str]] = {
            cell.index: set().union(*(seeds(notebook, n) for n in cell.scope_nodes(cell.body)))
            for cell in notebook.parsed_cells
        }
        anywhere = set().union(*seeded_cells.values()) if seeded_cells else set()
        for cell in notebook.parsed_cells:
            if cell.index not in relevant:
                continue
            upstream = set().union(
                *(seeded_cells[c.index] for c in notebook.parsed_cells if c.index < cell.index),
                *(seeded_cells[c.index] for c in notebook.ancestors_of(cell)),
            )
            draws = sorted(
                (
                    (node, library)
                    for node in cell.nodes
                    if (library := draw_library(notebook, node)) is not None
                    and not _discarded(cell, node)
                    and not self._seeded(notebook, cell, node, library, upstream, anywhere)
                ),
                key=lambda pair: position(pair[0]),
            )
            # One finding per cell and generator: the fix (one seed) is the same for all draws.
            groups: dict[tuple[str, bool], list[ast.AST]] = {}
            for node, library in draws:
                groups.setdefault((library, _creates_generator(notebook, node)), []).append(node)
            for (library, creates), nodes in groups.items():
                call = ast.unparse(nodes[0].func)  # type: ignore[attr-defined]
                more = (
                    f" (and {len(nodes) - 1} more draw(s) in this cell)" if len(nodes) > 1 else ""
                )
                what = (
                    f"`{call}()` creates a {library} generator without a seed"
                    if creates
                    else f"`{call}` draws from the unseeded global {library} generator{more}"
                )
                yield self.finding(
                    notebook,
                    cell,
                    nodes[0],
                    f"{what}, so every run gives different numbers; seed it first "
                    "(`torch.manual_seed(0)`, `np.random.seed(0)`, "
                    "`gpulab.repro.seed_everything(0)`) or pass a seed",
                )

    def _seeded(
        self,
        notebook: Notebook,
        cell: Cell,
        node: ast.AST,
        library: str,
        upstream: set[str],
        anywhere: set[str],
    ) -> bool:
        def covers(found: set[str]) -> bool:
            return library in found or "*" in found

        if covers(upstream):
            return True
        function = next(
            (
                p
                for p in cell.ancestors_of(node)
                if isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef)
            ),
            None,
        )
        if function is not None:
            params = {a.arg.lower() for a in [*function.args.args, *function.args.kwonlyargs]}
            if any(word in p for p in params for word in ("seed", "generator", "rng")):
                return True
            if covers(set().union(*(seeds(notebook, n) for n in walk_scope(function.body)))):
                return True
            return covers(anywhere)
        before = [n for n in cell.scope_nodes(cell.body) if position(n) < position(node)]
        return covers(set().union(*(seeds(notebook, n) for n in before)))
