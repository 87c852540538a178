"""What a suite run means, in sentences computed from that run alone.

Per algorithm: the largest graph on which networkx ran too and ours matched it (times, spread,
ratio), and the largest graph ours ran on alone (edges per second, and why networkx did not run
there). A failed check is named instead of a ratio. Nothing here imports torch or networkx.
"""

from __future__ import annotations

from .choices import ALGORITHM_LABELS
from .config import ALGORITHMS, NETWORKX, OURS
from .display import cpu_note, format_rate, format_ratio, speedup
from .results import GraphRow, SuiteResult


def meaning_lines(result: SuiteResult) -> list[str]:
    """One Markdown bullet per algorithm that ran (see the module docstring)."""
    lines = []
    for algorithm in ALGORITHMS:
        ours = [r for r in result.rows if r.engine == OURS and r.algorithm == algorithm and r.ran]
        if ours:
            lines.append(f"- **{ALGORITHM_LABELS[algorithm]}**: " + _algorithm(result, ours))
    return lines


def _algorithm(result: SuiteResult, ours: list[GraphRow]) -> str:
    compared = [r for r in ours if speedup(result, r) is not None]
    failed = [r for r in ours if r.check == "FAILED"]
    parts = []
    if compared:
        row = max(compared, key=lambda r: r.edges)
        peer = result.row(NETWORKX, row.graph, row.algorithm)
        ratio = speedup(result, row)
        assert peer is not None and peer.timing is not None and row.timing is not None
        parts.append(
            f"on {row.graph} ({row.edges:,} edges) ours took {row.timing.spread()}, networkx "
            f"{peer.timing.spread()}: **{format_ratio(ratio or 0.0)}** networkx's speed, with "
            "equal answers"
        )
    else:
        parts.append("no answer of ours was compared with networkx's, so no ratio is shown")
    largest = max(ours, key=lambda r: r.edges)
    if not compared or largest.edges > max(r.edges for r in compared):
        peer = result.row(NETWORKX, largest.graph, largest.algorithm)
        why = f" ({peer.skipped or peer.error})" if peer is not None and not peer.ran else ""
        parts.append(
            f"ours alone on {largest.graph} ({largest.edges:,} edges): "
            f"{largest.timing.spread() if largest.timing else ''}, "
            f"{format_rate(largest.edges_per_s)} edges/s{why}"
        )
    if failed:
        names = ", ".join(r.graph for r in failed)
        parts.append(f"its answer **differs from networkx's** on {names}: no ratio there")
    return "; ".join(parts) + "."


def meaning_text(result: SuiteResult) -> str:
    """The section's Markdown: the device note, one bullet per algorithm, and the run's time."""
    note = cpu_note(result)
    head = f"**{note}**\n\n" if note else ""
    lines = meaning_lines(result) or ["- No algorithm of ours finished in this run."]
    return (
        f"{head}From this run only (ours on `{result.device}`, {len(result.graphs)} graphs, "
        f"{result.seconds:.1f} s in all):\n\n" + "\n".join(lines)
    )
