"""What a suite run found: one row per (engine, graph, algorithm), the graphs, the checks.

Rows feed the timing table and the time-vs-edges chart; every row carries its timing with spread
(median, p10-p90, repeats), or the reason it did not run, and any note about its input (a
directed graph made undirected). Graph records keep the conversion timings apart from the
algorithms'.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gpulab.timing import Timing

from .checks import CheckResult
from .config import GraphConfig
from .engines import EngineStatus


@dataclass
class GraphRow:
    """One engine running one algorithm on one graph: its timing, or why it did not run."""

    engine: str
    graph: str
    algorithm: str
    nodes: int
    edges: int
    device: str
    timing: Timing | None = None
    skipped: str = ""
    error: str = ""
    note: str = ""
    iterations: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    check: str = ""  # the cross-check's status ("passed", "FAILED", "skipped", "" = reference)

    @property
    def ran(self) -> bool:
        return self.timing is not None and not self.error

    @property
    def median_s(self) -> float | None:
        return self.timing.median_s if self.ran else None

    @property
    def edges_per_s(self) -> float | None:
        median = self.median_s
        return self.edges / median if median else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("timing")
        timing = self.timing if self.ran else None
        data.update(
            median_s=self.median_s,
            p10_s=timing.p10_s if timing else None,
            p90_s=timing.p90_s if timing else None,
            repeats=timing.repeats if timing else 0,
            method=timing.method if timing else None,
            spread=timing.spread() if timing else None,
            noisy=timing.noisy if timing else False,
            edges_per_s=self.edges_per_s,
        )
        return data


@dataclass
class GraphInfo:
    """One graph of the suite: its size and the conversions, each timed on its own."""

    name: str
    kind: str
    nodes: int
    edges: int
    directed: bool
    weighted: bool
    device: str
    generate_s: float | None = None  # generated graphs: drawing the edge list
    drawn_edges: int = 0  # generated graphs: raw edges drawn (repeats and self-loops included)
    to_csr_s: float | None = None  # edge list (or networkx graph) -> device CSR
    to_networkx_s: float | None = None  # device CSR -> networkx graph, where networkx ran
    csr_mib: float = 0.0
    dropped_self_loops: int = 0
    dropped_duplicates: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SuiteResult:
    """Everything one `run_suite` measured."""

    config: GraphConfig
    device: str
    engines: dict[str, EngineStatus]
    rows: list[GraphRow] = field(default_factory=list)
    graphs: list[GraphInfo] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    def row(self, engine: str, graph: str, algorithm: str) -> GraphRow | None:
        for row in self.rows:
            if (row.engine, row.graph, row.algorithm) == (engine, graph, algorithm):
                return row
        return None

    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "FAILED"]

    def table(self) -> list[dict[str, Any]]:
        """The timing table: one dict per row, in run order."""
        return [
            {
                "engine": r.engine,
                "graph": r.graph,
                "algorithm": r.algorithm,
                "edges": r.edges,
                "median_s": r.median_s,
                "spread": r.timing.spread() if r.ran and r.timing else None,
                "edges_per_s": r.edges_per_s,
                "check": r.check,
                "note": r.error or r.skipped or r.note,
            }
            for r in self.rows
        ]

    def chart(self) -> list[dict[str, Any]]:
        """Points for a time-vs-edges chart: every timed row (engine, algorithm, edges, s)."""
        return [
            {
                "engine": r.engine,
                "algorithm": r.algorithm,
                "graph": r.graph,
                "edges": r.edges,
                "seconds": r.median_s,
                "p10_s": r.timing.p10_s if r.timing else None,
                "p90_s": r.timing.p90_s if r.timing else None,
            }
            for r in self.rows
            if r.ran
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "seconds": self.seconds,
            "engines": {name: s.to_dict() for name, s in self.engines.items()},
            "graphs": [g.to_dict() for g in self.graphs],
            "rows": [r.to_dict() for r in self.rows],
            "checks": [c.to_dict() for c in self.checks],
            "config": self.config.to_dict(),
        }
