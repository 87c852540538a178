"""GPU telemetry per operation: each NVML sample matched to the engine and op running when it
was taken, for the notebook's chart and the benchmark's per-op utilisation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .results import SuiteResult


def _op_spans(result: SuiteResult) -> list[tuple[float, float, str, str]]:
    """(start, end, engine, op) of every op that ran, in monotonic seconds."""
    return [
        (rec.started, rec.ended, name, op)
        for name, op, rec in result.records()
        if rec.ended > rec.started
    ]


def telemetry_by_op(
    samples: Iterable[Any], result: SuiteResult, origin: float | None = None
) -> list[dict[str, Any]]:
    """GPU samples that fell inside each op's window, tagged with engine and op, for charts.

    `origin` (a monotonic time) becomes t = 0; default: the first op's start."""
    windows = _op_spans(result)
    if not windows:
        return []
    origin = min(w[0] for w in windows) if origin is None else origin
    rows = []
    for sample in samples:
        for start, end, name, op in windows:
            if start <= sample.t <= end:
                rows.append(
                    {
                        "t": round(sample.t - origin, 3),
                        "engine": name,
                        "op": op,
                        "gpu": sample.gpu,
                        "utilization_pct": sample.utilization_pct,
                        "memory_used_mib": sample.memory_used_mib,
                        "power_w": sample.power_w,
                    }
                )
                break
    return rows


def op_windows(result: SuiteResult, origin: float | None = None) -> list[dict[str, Any]]:
    """Each op's [start, end] (seconds from `origin`) for shading telemetry charts."""
    spans = _op_spans(result)
    if not spans:
        return []
    origin = min(s[0] for s in spans) if origin is None else origin
    return [
        {"start": round(a - origin, 3), "end": round(b - origin, 3), "engine": name, "op": op}
        for a, b, name, op in spans
    ]


def telemetry_summary_by_op(
    samples: Iterable[Any], result: SuiteResult
) -> dict[str, dict[str, dict[str, float]]]:
    """Mean/max GPU utilisation and peak memory per engine and op (for reports)."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in telemetry_by_op(samples, result):
        grouped.setdefault((row["engine"], row["op"]), []).append(row)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (engine, op), rows in grouped.items():
        util = [r["utilization_pct"] for r in rows if r["utilization_pct"] == r["utilization_pct"]]
        out.setdefault(engine, {})[op] = {
            "samples": len(rows),
            "utilization_mean_pct": sum(util) / len(util) if util else float("nan"),
            "utilization_max_pct": max(util) if util else float("nan"),
            "memory_used_max_mib": max(r["memory_used_mib"] for r in rows),
        }
    return out
