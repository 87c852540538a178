"""A suite run as the notebook shows it: tables, chart points, the checks' verdict, what it means.

Every figure is formatted once here, so a table and a sentence show the same precision; every
timing carries its spread and its noise flag. A ratio to networkx is shown only beside a result
that matched networkx's, and a run whose engine was the CPU says that its ratios compare two CPU
implementations. Nothing here imports torch or networkx.
"""

from __future__ import annotations

from typing import Any

from gpulab.timing import Timing, format_seconds

from .checks import CheckResult
from .config import ALGORITHMS, CUGRAPH, EDGE_LIST, NETWORKX, OURS, REAL_GRAPHS
from .results import GraphRow, SuiteResult

FAMILIES = {
    "rmat": "R-MAT",
    "erdos_renyi": "Erdős–Rényi",
    "barabasi_albert": "Barabási–Albert",
    EDGE_LIST: "edge list",
}


def format_ratio(ratio: float) -> str:
    """A speed ratio as every view shows it: `1.85×`, `2,900×`."""
    return f"{ratio:.3g}×" if ratio < 1000 else f"{ratio:,.0f}×"


def format_rate(edges_per_s: float | None) -> str:
    """Edges per second, three significant figures: `1.23e+07`."""
    return f"{edges_per_s:.3g}" if edges_per_s else ""


def family(graph: str) -> str:
    """The family a graph name belongs to (for a chart's legend): `real`, `R-MAT`, ..."""
    if graph in REAL_GRAPHS:
        return "real"
    kind = graph.split("-", 1)[0]
    label = FAMILIES.get(kind, kind)
    return label + (" (directed)" if graph.endswith("-directed") else "")


def speedup(result: SuiteResult, row: GraphRow) -> float | None:
    """networkx's median / this row's, for an engine whose answer matched networkx's."""
    if row.engine == NETWORKX or row.check != "passed" or not row.median_s:
        return None
    reference = result.row(NETWORKX, row.graph, row.algorithm)
    if reference is None or not reference.median_s:
        return None
    return reference.median_s / row.median_s


def _median(timing: Timing | None) -> str:
    if timing is None:
        return ""
    return format_seconds(timing.median_s) + (" ⚠" if timing.noisy else "")


def _spread(timing: Timing | None) -> str:
    if timing is None:
        return ""
    return f"{format_seconds(timing.p10_s)}–{format_seconds(timing.p90_s)} ({timing.repeats})"


def row_note(row: GraphRow) -> str:
    """Why a row has no time, the noise warning beside its time, iterations, and whether it ran
    on the undirected version of a directed graph."""
    parts = [row.error or row.skipped]
    if row.ran and row.timing is not None:
        parts.append(row.timing.noise_note())
    if row.iterations is not None:
        parts.append(f"{row.iterations} iterations")
    if row.note.startswith("directed input converted"):
        parts.append("ran on the undirected version")
    elif row.note:
        parts.append(row.note)
    return "; ".join(part for part in parts if part)


def timing_table(result: SuiteResult, algorithm: str | None = None) -> list[dict[str, Any]]:
    """One row per engine and graph (of `algorithm`, or all with an algorithm column) that was
    asked; engines that could not run at all are in `unrun_notes`. Median (⚠: noisy), p10–p90
    over the timed runs (their count), edges/s, the ratio to networkx (only for a matching answer), the
    check and a note."""
    rows = []
    for row in result.rows:
        if row.graph == "all" or algorithm not in (None, row.algorithm):
            continue
        timing = row.timing if row.ran else None
        ratio = speedup(result, row)
        entry: dict[str, Any] = {"graph": row.graph}
        if algorithm is None:
            entry["algorithm"] = row.algorithm
        entry |= {
            "engine": row.engine,
            "median": _median(timing),
            "p10–p90 (runs)": _spread(timing),
            "edges/s": format_rate(row.edges_per_s),
            "vs networkx": format_ratio(ratio) if ratio else "",
            "check": row.check or ("reference" if row.engine == NETWORKX else ""),
            "note": row_note(row),
        }
        rows.append(entry)
    return rows


def algorithms_run(result: SuiteResult) -> list[str]:
    """The algorithms with rows in `result`, in suite order (one results tab each)."""
    present = {row.algorithm for row in result.rows if row.graph != "all"}
    return [a for a in (*ALGORITHMS, "louvain") if a in present]


def unrun_notes(result: SuiteResult) -> list[str]:
    """One line per engine (or Louvain) that could not run here at all, with why."""
    return [
        f"- **{row.engine}** ({row.algorithm}): {row.skipped}"
        for row in result.rows
        if row.graph == "all"
    ]


def chart_points(result: SuiteResult) -> list[dict[str, Any]]:
    """Every timed row for a log-log chart of seconds vs edges: engine, algorithm, family."""
    return [point | {"family": family(point["graph"])} for point in result.chart()]


def check_rows(result: SuiteResult) -> list[dict[str, Any]]:
    """Every cross-check: status, by how much (max diff or mismatching nodes), or why skipped."""
    return [
        {
            "graph": c.graph,
            "algorithm": c.algorithm,
            "engine": c.engine,
            "status": c.status,
            "difference": check_difference(c),
            "why not compared": c.skipped,
        }
        for c in result.checks
    ]


def check_difference(check: CheckResult) -> str:
    """`max diff 1.4e-17 (tol 1e-06)` or `0 of 34 nodes differ`; '' for a skipped check."""
    if check.skipped:
        return ""
    if check.max_diff is not None:
        return f"max diff {check.max_diff:.2g} (tol {check.tolerance:g})"
    return f"{check.mismatches} of {check.compared} nodes differ"


def check_verdict(result: SuiteResult) -> tuple[str, str]:
    """(callout kind, text) for the cross-checks: danger naming every failed one; info when
    nothing was compared (never a success about zero); success with the count otherwise."""
    failed = result.failed_checks()
    compared = [c for c in result.checks if not c.skipped]
    skipped = len(result.checks) - len(compared)
    later = f" {skipped} could not be compared (why: in the table)." if skipped else ""
    if failed:
        lines = "\n".join(f"- {c.describe()}" for c in failed)
        return (
            "danger",
            f"**{len(failed)} of {len(compared)} compared answers differ from networkx's**: "
            f"their times are shown, but no speed-up.\n\n{lines}\n\n{later}",
        )
    if not compared:
        return (
            "info",
            "No answer was compared with networkx's: networkx did not run (not chosen, or "
            f"skipped on every graph), so nothing is checked and no speed-up is shown.{later}",
        )
    plural = "s" if len(compared) != 1 else ""
    return "success", f"All {len(compared)} compared answer{plural} equal networkx's.{later}"


def conversion_table(result: SuiteResult) -> list[dict[str, Any]]:
    """Per graph, the conversions timed apart from the algorithms (one timed call each): drawing
    the edges, edge list (or networkx graph) -> CSR on the device, CSR -> networkx graph; the
    CSR's size, and the self-loops / repeated edges dropped on the way in."""

    def seconds(value: float | None) -> str:
        return format_seconds(value) if value is not None else ""

    return [
        {
            "graph": g.name,
            "nodes": f"{g.nodes:,}",
            "edges": f"{g.edges:,}",
            "draw edges": seconds(g.generate_s),
            "to CSR": seconds(g.to_csr_s),
            "to networkx": seconds(g.to_networkx_s),
            "CSR MiB": f"{g.csr_mib:.3g}",
            "dropped": f"{g.dropped_self_loops:,} / {g.dropped_duplicates:,}",
        }
        for g in result.graphs
    ]


def converted_notes(result: SuiteResult) -> list[str]:
    """One line per graph whose directed input was made undirected for some algorithms."""
    seen: dict[tuple[str, str], set[str]] = {}
    for row in result.rows:
        if row.note.startswith("directed input converted"):
            seen.setdefault((row.graph, row.note), set()).add(row.algorithm)
    return [
        f"- **{graph}**: {note}, for {', '.join(sorted(algorithms))}"
        for (graph, note), algorithms in seen.items()
    ]


def cpu_note(result: SuiteResult) -> str:
    """'' when ours ran on a GPU; otherwise what a ratio on this machine compares."""
    if result.device.startswith("cuda"):
        return ""
    return (
        "Ours ran on the CPU here, so every time and ratio compares two CPU "
        "implementations (torch's vectorised kernels and networkx's Python): none of them is a "
        "GPU speed-up."
    )


def pagerank_rule_rows(result: SuiteResult) -> list[dict[str, Any]]:
    """PageRank on each graph: N, the L1 change networkx's rule stops below (N x tol), the
    iterations ours took and the L1 change it stopped at."""
    rows = []
    for row in result.rows:
        if row.engine != OURS or row.algorithm != "pagerank" or not row.ran:
            continue
        tol = result.config.pagerank_tol_for(row.nodes)
        rows.append(
            {
                "graph": row.graph,
                "nodes (N)": f"{row.nodes:,}",
                "stops when L1 change <": f"{row.nodes * tol:.2g}",
                "iterations": row.iterations,
                "last L1 change": f"{row.summary.get('l1_change', float('nan')):.2g}",
            }
        )
    return rows


# Each engine's colour in every chart (gpulab.ui.series_colors).
ENGINE_COLORS = {NETWORKX: "#4c78a8", OURS: "#f58518", CUGRAPH: "#54a24b"}
