"""The suite runner: every graph, algorithm and engine, timed, cross-checked, with progress.

For each graph (smallest first): build it once (conversions timed apart), then for each
algorithm run our kernels, networkx (where it finishes under its cap, judged from its time on
the previous, smaller graph) and nx-cugraph (where installed) on the same task, time each with
`gpulab.timing.benchmark` and check ours and nx-cugraph's answers against networkx's. Progress
is counted in edges x (engine, algorithm) runs, so a 10^8-edge graph weighs what it costs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from gpulab.errors import UsageError
from gpulab.memory import GpuOutOfMemory, oom_guard, release_memory
from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import Timing, benchmark

from .checks import CheckResult, Outcome, compare, skipped_check
from .config import CUGRAPH, EDGE_LIST, NETWORKX, OURS, GraphConfig, GraphSpec
from .csr import Csr
from .engines import engine_status
from .networkx_engine import louvain_call, louvain_outcome, networkx_call, networkx_outcome
from .prepare import PreparedGraph, prepare_graph
from .real import real_graph
from .results import GraphRow, SuiteResult
from .sizing import SizeFit, largest_fit
from .tasks import Task, make_task, passes
from .torch_engine import ours_call, ours_outcome


def resolve_device(device: str | None) -> torch.device:
    """The device ours runs on: as asked, else the first CUDA GPU, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device {device!r} was asked for, but torch sees no CUDA GPU")
    return resolved


AUTO_DEVICE = "auto"  # resolve_device(None): the first CUDA GPU, else the CPU


def device_choices() -> dict[str, str]:
    """Where ours can run here, label -> device: automatic, the CPU, each CUDA GPU torch sees."""
    choices = {"first CUDA GPU, else the CPU": AUTO_DEVICE, "CPU": "cpu"}
    for index in range(torch.cuda.device_count()):
        choices[f"GPU {index}: {torch.cuda.get_device_name(index)}"] = f"cuda:{index}"
    return choices


def run_suite(config: GraphConfig, progress: ProgressFn = no_progress) -> SuiteResult:
    """Run `config` and return every row, graph and check (see the module docstring).

    Raises UsageError for a bad config and `GraphTooLarge` (naming the largest size that fits)
    before any work when a graph would not fit the device's free memory."""
    config.validate()
    device = resolve_device(config.device)
    fit = largest_fit(str(device))
    for spec in config.graphs:
        fit.check(spec)
    engines = {name: engine_status(name, str(device)) for name in config.engines}
    runner = _Runner(config, device, fit, SuiteResult(config, str(device), engines), progress)
    started = time.perf_counter()
    runner.note_missing_engines()
    for spec in sorted(config.graphs, key=runner.nominal_edges):
        runner.run_graph(spec)
    runner.result.seconds = time.perf_counter() - started
    progress(runner.total, runner.total, "done")
    return runner.result


def planned_work(config: GraphConfig) -> float:
    """The work `run_suite(config)` reports progress in: edges x (engine, algorithm) runs over
    every graph, with the engines that can run here (for a progress bar's total)."""
    device = str(resolve_device(config.device))
    statuses = [engine_status(name, device) for name in config.engines]
    running = [status.name for status in statuses if status.available]
    return _work(config, len(running), CUGRAPH in running, _nominal_edges)


def _nominal_edges(spec: GraphSpec) -> int:
    if spec.generated or spec.kind == EDGE_LIST:
        return spec.edges
    return real_graph(spec.kind).number_of_edges()


def _work(
    config: GraphConfig, runs: int, cugraph: bool, edges_of: Callable[[GraphSpec], int]
) -> float:
    louvain = 1 if config.louvain and cugraph else 0
    return float(
        sum(
            edges_of(spec) * (len(config.algorithms_for(spec)) * runs + louvain)
            for spec in config.graphs
        )
    )


@dataclass
class _Measured:
    row: GraphRow
    outcome: Outcome | None = None


@dataclass
class _Runner:
    config: GraphConfig
    device: torch.device
    fit: SizeFit
    result: SuiteResult
    progress: ProgressFn
    done: float = 0.0
    # algorithm -> (work, seconds, graph) of networkx's last run, to extrapolate the next
    history: dict[str, tuple[float, float, str]] = field(default_factory=dict)
    _real_edges: dict[str, int] = field(default_factory=dict)

    @property
    def running(self) -> list[str]:
        return [name for name, status in self.result.engines.items() if status.available]

    @property
    def cugraph(self) -> bool:
        return CUGRAPH in self.running

    def nominal_edges(self, spec: GraphSpec) -> int:
        """Edges a spec stands for in the work count (a real graph's from networkx)."""
        if spec.generated or spec.kind == EDGE_LIST:
            return spec.edges
        if spec.kind not in self._real_edges:
            self._real_edges[spec.kind] = _nominal_edges(spec)
        return self._real_edges[spec.kind]

    @property
    def total(self) -> float:
        return _work(self.config, len(self.running), self.cugraph, self.nominal_edges)

    def advance(self, spec: GraphSpec, note: str) -> None:
        self.done += self.nominal_edges(spec)
        self.progress(self.done, self.total, note)

    def note_missing_engines(self) -> None:
        """One row per engine that cannot run here, with why and its install command."""
        for name, status in self.result.engines.items():
            if not status.available:
                reason = status.reason + (f" ({status.hint})" if status.hint else "")
                self.result.rows.append(GraphRow(name, "all", "all", 0, 0, "-", skipped=reason))
        if self.config.louvain and not self.cugraph:
            status = self.result.engines.get(CUGRAPH)
            why = f"{status.reason} ({status.hint})" if status else "nx-cugraph is not selected"
            skipped = f"Louvain runs through nx-cugraph only: {why}"
            self.result.rows.append(GraphRow(CUGRAPH, "all", "louvain", 0, 0, "-", skipped=skipped))

    def run_graph(self, spec: GraphSpec) -> None:
        prepared = prepare_graph(spec, self.device, self.config.seed)
        self.result.graphs.append(prepared.info)
        for algorithm in self.config.algorithms_for(spec):
            self.run_algorithm(prepared, algorithm)
        if self.config.louvain and self.cugraph:
            self.run_louvain(prepared)
        del prepared
        release_memory()

    def run_algorithm(self, prepared: PreparedGraph, algorithm: str) -> None:
        csr, note = prepared.csr_for(algorithm)
        task = make_task(algorithm, csr, self.config)
        outcomes: dict[str, Outcome] = {}
        reasons: dict[str, str] = {}
        for engine in self.running:
            measured = self.measure(engine, prepared, task)
            measured.row.note = measured.row.note or note
            self.result.rows.append(measured.row)
            if measured.outcome is not None:
                outcomes[engine] = measured.outcome
            else:
                reasons[engine] = measured.row.skipped or measured.row.error
            self.advance(prepared.spec, f"{engine}: {algorithm} on {prepared.spec.name}")
        for engine in (OURS, CUGRAPH):
            if engine in self.running:
                check = _check(engine, prepared.spec.name, task, outcomes, reasons)
                self.result.checks.append(check)
                row = self.result.row(engine, prepared.spec.name, algorithm)
                if row is not None:
                    row.check = check.status

    def measure(self, engine: str, prepared: PreparedGraph, task: Task) -> _Measured:
        if engine == OURS:
            return self.measure_ours(prepared, task)
        return self.measure_networkx(prepared, task, None if engine == NETWORKX else "cugraph")

    def new_row(self, engine: str, prepared: PreparedGraph, csr: Csr, algorithm: str) -> GraphRow:
        device = {OURS: str(self.device), NETWORKX: "cpu"}.get(engine, "cuda")
        return GraphRow(engine, prepared.spec.name, algorithm, csr.n_nodes, csr.n_edges, device)

    def measure_ours(self, prepared: PreparedGraph, task: Task) -> _Measured:
        csr, _ = prepared.csr_for(task.algorithm)
        row = self.new_row(OURS, prepared, csr, task.algorithm)
        cuda = str(self.device) if self.device.type == "cuda" else None
        try:
            with oom_guard(device=self.device if cuda else None):
                row.timing, answer = _time(
                    ours_call(task, csr),
                    warmup=self.config.warmup,
                    repeats=self.config.repeats,
                    work=csr.n_edges,
                    device=cuda,
                )
        except GpuOutOfMemory as err:
            row.error = err.summary()
            return _Measured(row)
        except _convergence_errors() as err:
            row.error = f"{type(err).__name__}: {err}"
            return _Measured(row)
        outcome = ours_outcome(task, answer)
        row.iterations, row.summary = outcome.iterations, outcome.summary
        return _Measured(row, outcome)

    def measure_networkx(
        self, prepared: PreparedGraph, task: Task, backend: str | None
    ) -> _Measured:
        csr, _ = prepared.csr_for(task.algorithm)
        row = self.new_row(NETWORKX if backend is None else CUGRAPH, prepared, csr, task.algorithm)
        work = (csr.n_edges + csr.n_nodes) * passes(task, csr)
        row.skipped = self.networkx_skip(csr, task.algorithm, work, timed=backend is None)
        if row.skipped:
            return _Measured(row)
        graph, row.note = prepared.networkx_for(task.algorithm)
        call = networkx_call(task, graph, csr.label(task.source), backend)
        warmup = self.config.networkx_warmup if backend is None else self.config.warmup
        try:
            row.timing, answer = _time(call, warmup, self.config.networkx_repeats, csr.n_edges)
        except Exception as err:  # a backend may not implement a call; networkx may not converge
            row.error = f"{type(err).__name__}: {err}"
            return _Measured(row)
        if backend is None:
            self.history[task.algorithm] = (work, row.timing.median_s, prepared.spec.name)
        outcome = networkx_outcome(task, answer, csr)
        row.summary = outcome.summary
        return _Measured(row, outcome)

    def networkx_skip(self, csr: Csr, algorithm: str, work: float, timed: bool) -> str:
        """Why networkx (or nx-cugraph, which starts from a networkx graph) does not run here."""
        edges, limit = csr.n_edges, self.config.networkx_max_edges
        if edges > limit:
            return f"networkx skipped: {edges:,} edges > networkx_max_edges ({limit:,})"
        if edges > self.fit.networkx_max_edges:
            fits = self.fit.networkx_max_edges
            return f"networkx skipped: free host memory holds a networkx graph of ~{fits:,} edges"
        last = self.history.get(algorithm)
        if timed and last:
            estimate, cap = last[1] * work / last[0], self.config.networkx_time_cap_s
            if estimate > cap:
                return (
                    f"networkx skipped: about {estimate:.0f} s a call (extrapolated from "
                    f"{last[1]:.2g} s on {last[2]}) > the {cap:g} s cap"
                )
        return ""

    def run_louvain(self, prepared: PreparedGraph) -> None:
        """Louvain through nx-cugraph: timed, with its modularity; no node-by-node reference."""
        csr = prepared.csr
        row = self.new_row(CUGRAPH, prepared, csr, "louvain")
        row.skipped = self.networkx_skip(csr, "louvain", csr.n_edges, timed=False)
        if not row.skipped:
            graph = prepared.networkx()
            try:
                row.timing, answer = _time(
                    louvain_call(graph, self.config.seed, "cugraph"),
                    self.config.warmup,
                    self.config.repeats,
                    csr.n_edges,
                )
                row.summary = louvain_outcome(answer, graph, csr, modularity=True).summary
            except Exception as err:  # the backend's own failure, reported on the row
                row.error = f"{type(err).__name__}: {err}"
        why = "Louvain is heuristic: no node-by-node reference (modularity is on the row)"
        self.result.checks.append(skipped_check("louvain", prepared.spec.name, CUGRAPH, why))
        row.check = "skipped"
        self.result.rows.append(row)
        self.advance(prepared.spec, f"{CUGRAPH}: louvain on {prepared.spec.name}")


def _time(
    call: Callable[[], Any], warmup: int, repeats: int, work: float, device: str | None = None
) -> tuple[Timing, Any]:
    """Time `call` and keep its last answer (only one is held at a time)."""
    kept: list[Any] = [None]

    def run() -> None:
        kept[0] = None  # free the previous answer before computing the next
        kept[0] = call()

    timing = benchmark(
        run, warmup=warmup, repeats=repeats, work_per_call=work, unit="edges", device=device
    )
    return timing, kept[0]


def _convergence_errors() -> tuple[type[BaseException], ...]:
    try:
        from networkx import PowerIterationFailedConvergence
    except ImportError:
        return (RuntimeError,)
    return (PowerIterationFailedConvergence,)


def _check(
    engine: str, graph: str, task: Task, outcomes: dict[str, Outcome], reasons: dict[str, str]
) -> CheckResult:
    """`engine`'s answer against networkx's, or why that comparison cannot be made."""
    algorithm = task.algorithm
    if engine not in outcomes:
        return skipped_check(
            algorithm, graph, engine, f"{engine} did not finish: {reasons[engine]}"
        )
    if NETWORKX not in outcomes:
        why = reasons.get(NETWORKX, "networkx is not among the engines")
        return skipped_check(algorithm, graph, engine, why)
    if engine == CUGRAPH and algorithm == "betweenness" and task.k is not None:
        why = "nx-cugraph draws its own k sources, so sampled values differ by design"
        return skipped_check(algorithm, graph, engine, why)
    return compare(algorithm, graph, engine, outcomes[engine], outcomes[NETWORKX], NETWORKX)
