"""Cross-checks: an engine's answer against networkx's, node by node, as a structured result.

Every answer is a per-node array in the CSR's index order (`Outcome`), so one comparison serves
every engine. Scores (PageRank, betweenness) must agree within a tolerance; levels, component
labels, triangle counts and core numbers must be equal. A check that cannot run is kept with its
reason, never dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .config import BETWEENNESS_ATOL, PAGERANK_ATOL

TOLERANCES = {"pagerank": PAGERANK_ATOL, "betweenness": BETWEENNESS_ATOL}


@dataclass
class Outcome:
    """One engine's answer, per node in index order, and what it adds up to."""

    values: np.ndarray
    iterations: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult:
    """Did `engine` agree with `reference` on `algorithm` over `graph`? `skipped` says why not
    checked; `max_diff` (scores) or `mismatches` (exact answers) says by how much."""

    graph: str
    algorithm: str
    engine: str
    reference: str
    passed: bool
    max_diff: float | None = None
    mismatches: int | None = None
    tolerance: float | None = None
    compared: int = 0
    skipped: str = ""

    @property
    def name(self) -> str:
        return f"{self.algorithm} on {self.graph}: {self.engine} vs {self.reference}"

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "passed" if self.passed else "FAILED"

    def describe(self) -> str:
        """One line: `pagerank on karate: gpulab-torch vs networkx: passed (max diff 1.4e-17)`."""
        if self.skipped:
            return f"{self.name}: skipped ({self.skipped})"
        if self.max_diff is not None:
            return f"{self.name}: {self.status} (max diff {self.max_diff:.2g} <= {self.tolerance})"
        return f"{self.name}: {self.status} ({self.mismatches} of {self.compared} nodes differ)"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"name": self.name, "status": self.status}


def compare(
    algorithm: str, graph: str, engine: str, ours: Outcome, reference: Outcome, ref_name: str
) -> CheckResult:
    """`ours` against `reference`: within tolerance for scores, equal for exact answers."""
    check = CheckResult(graph, algorithm, engine, ref_name, False, compared=ours.values.size)
    if ours.values.shape != reference.values.shape:
        check.skipped = f"shapes differ: {ours.values.shape} vs {reference.values.shape}"
        return check
    if algorithm in TOLERANCES:
        diff = np.abs(ours.values.astype(np.float64) - reference.values.astype(np.float64))
        check.max_diff = float(diff.max()) if diff.size else 0.0
        check.tolerance = TOLERANCES[algorithm]
        check.passed = bool(check.max_diff <= check.tolerance)
        return check
    check.mismatches = int(np.count_nonzero(ours.values != reference.values))
    check.passed = check.mismatches == 0
    return check


def skipped_check(algorithm: str, graph: str, engine: str, reason: str) -> CheckResult:
    """A check that could not run, with why (networkx skipped, an engine failed...)."""
    return CheckResult(graph, algorithm, engine, "networkx", False, skipped=reason)


def summarise(algorithm: str, values: np.ndarray) -> dict[str, Any]:
    """One or two numbers that say what an answer found, for the table beside its time."""
    if values.size == 0:
        return {}
    if algorithm == "bfs":
        return {"reached": int(np.count_nonzero(values >= 0)), "depth": int(values.max())}
    if algorithm == "components":
        sizes = np.bincount(values)
        return {"components": int(np.count_nonzero(sizes)), "largest": int(sizes.max())}
    if algorithm == "triangles":
        return {"triangles": int(values.sum()) // 3}
    if algorithm == "kcore":
        return {"max_core": int(values.max())}
    if algorithm in ("pagerank", "betweenness"):
        return {"max": float(values.max())}
    return {}
