"""The suite as a report: per-op ratios and every engine's figures as a JSON-ready dict, the
geometric-mean times behind the headline, and the written report as text for a log."""

from __future__ import annotations

import math
from typing import Any

from .config import OPERATIONS, REFERENCE, SuiteConfig
from .engines import ENGINES
from .measure import format_seconds
from .records import OpRecord
from .results import SuiteResult, fallback_note, timing_fields

# The operations whose cudf.pandas ratio the report lists apart: the ones a GPU dataframe is for.
GPU_SHOWCASE_OPS = ("groupby", "join", "sort")
HEADLINE = (
    "geometric mean over operations of pandas median time / best engine median time; "
    "best = fastest engine other than pandas whose result matched pandas"
)


def describe(result: SuiteResult) -> dict[str, Any]:
    """Per-operation ratios and every engine's timings, equality and fallbacks."""
    cudf = result.engines.get("cudf.pandas")
    showcase = _showcase(result)
    return {
        "rows": result.dataset.rows,
        "dataset": result.dataset.source,
        "bytes_per_row": result.dataset.bytes_per_row,
        "headline": HEADLINE,
        "headline_speedup": result.headline(),
        "method": _method(result.config),
        "operations": {op: _operation(result, op) for op in result.config.operations},
        "engines": {
            name: {
                "label": ENGINES[name].label,
                "available": report.status.available,
                "ran": report.ran,
                "reason": report.status.reason,
                "hint": report.status.hint,
                "error": report.error,
                "info": report.info,
            }
            for name, report in result.engines.items()
        },
        "missing_engines": result.missing(),
        "cpu_fallbacks": {
            f"{name} {op}": note
            for name, op, rec in result.records()
            if (note := fallback_note(rec))
        },
        "cudf_pandas_vs_pandas": {"ops": showcase, "ran": bool(cudf and cudf.ran)},
        "equality": {
            "checked": result.checked(),
            "mismatches": [
                {"engine": name, "op": op, "summary": rec.equality.summary}
                for name, op, rec in result.mismatches()
            ],
        },
        "engines_requested": list(result.config.engines),
        "suite_seconds": result.seconds,
        "operations_run": list(OPERATIONS),
    }


def _method(config: SuiteConfig) -> dict[str, Any]:
    return {
        "warmup": config.warmup,
        "min_repeats": config.repeats,
        "min_time_s": config.min_time_s,
        "rtol": config.rtol,
        "atol": config.atol,
        "gpu_sync": "cudaDeviceSynchronize inside the timed call; device→host timed apart",
        "to_host": (
            "cudf.pandas: proxy.as_cpu_object(), a fresh cuDF → pandas copy on every call; "
            "not timed (to_host_note says why) when the result was already in host memory"
        ),
    }


def _operation(result: SuiteResult, op: str) -> dict[str, Any]:
    """One op: its best engine and ratio, and every engine's figures for it."""
    best = result.best(op)
    ratios = result.speedups(op)
    engines = {}
    for name, report in result.engines.items():
        rec = report.records.get(op)
        if rec is not None:
            engines[name] = _engine_entry(rec, ratios.get(name, 1.0 if name == REFERENCE else None))
    return {
        "best_engine": best[0] if best else None,
        "ratio_best": best[1] if best else None,
        "engines": engines,
    }


def _engine_entry(rec: OpRecord, ratio: float | None) -> dict[str, Any]:
    return {
        **timing_fields(rec.timing),
        "to_host_median_s": rec.to_host.median_s if rec.to_host else None,
        "to_host_note": rec.to_host_note,
        "includes_transfer": rec.includes_transfer,
        "ratio_vs_pandas": ratio,
        "equal": rec.equal,
        "equality": rec.equality.to_dict() if rec.equality else None,
        "result_rows": rec.result_rows,
        "error": rec.error,
        "skipped": rec.skipped,
        "cpu_fallbacks": rec.cpu_fallbacks,
        "note": fallback_note(rec),
    }


def _showcase(result: SuiteResult) -> dict[str, float | None]:
    """cudf.pandas' ratio to pandas on each of GPU_SHOWCASE_OPS that ran (None: no ratio)."""
    return {
        op: result.speedups(op).get("cudf.pandas")
        for op in GPU_SHOWCASE_OPS
        if op in result.config.operations
    }


def geomean_times(result: SuiteResult) -> tuple[float, float]:
    """Geometric means of the best engine's and pandas' median times over the operations that
    have a best engine; their ratio is the geometric mean of the per-op speedups."""
    best_times, pandas_times = [], []
    for op in result.config.operations:
        best = result.best(op)
        if best is None:
            continue
        best_times.append(result.record(best[0], op).timing.median_s)
        pandas_times.append(result.record(REFERENCE, op).timing.median_s)
    if not best_times:  # nothing to compare with (only pandas ran): ratio 1
        ref = [
            r.timing.median_s
            for op in result.config.operations
            if (r := result.record(REFERENCE, op)) and r.ok
        ]
        value = _geomean(ref) if ref else float("nan")
        return value, value
    return _geomean(best_times), _geomean(pandas_times)


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def figures(report: dict[str, Any]) -> str:
    """The written bench report as text for a log: per-op medians and ratios, then each GPU
    result's device→host time (µs resolution) or why it has none, CPU fallbacks in words, errors
    and mismatches, cudf.pandas' ratios and the equality summary."""
    d = report["details"]
    ratio = report.get("ratio")
    headline = (
        f"headline ratio {ratio:.2f} ({d['headline']})"
        if ratio is not None
        else f"no headline ratio: {report.get('no_ratio_because', '')}"
    )
    lines = [f"{report['device']}: {d['rows']:,} rows; {headline}"]
    for name, e in d["engines"].items():
        state = "ran" if e["ran"] else f"NOT RUN: {e['reason'] or ''} {e['error'] or ''}"[:300]
        lines.append(f"  {name:13} {state} {e['info']}")
    lines += _op_table(d)
    for op, o in d["operations"].items():
        for n, r in o["engines"].items():
            lines += _record_notes(op, n, r)
    shown = d["cudf_pandas_vs_pandas"]
    lines.append(
        "cudf.pandas vs pandas: "
        + str({op: (round(r, 1) if r else None) for op, r in shown["ops"].items()})
        + ("" if shown["ran"] else " (cudf.pandas did not run)")
    )
    lines.append(
        f"equality: checked {d['equality']['checked']} mismatches {d['equality']['mismatches']}"
    )
    return "\n".join(lines)


def _op_table(d: dict[str, Any]) -> list[str]:
    """One line per op: each engine's median and ratio (! marks a mismatch), then the best."""
    engines = list(d["engines"])
    lines = [f"{'op':14}" + "".join(f"{n:>15}" for n in engines) + "   best (x pandas)"]
    for op, o in d["operations"].items():
        cells = []
        for n in engines:
            r = o["engines"].get(n)
            if not r or r["median_s"] is None:
                cells.append(f"{'-' if not r else 'err':>15}")
                continue
            mark = "" if r["equal"] in (None, True) else "!"
            ratio = r["ratio_vs_pandas"]
            cells.append(
                f"{r['median_s'] * 1e3:8.1f}ms" + (f"{ratio:5.1f}x" if ratio else "      ") + mark
            )
        best = f"{o['best_engine']} {o['ratio_best']:.1f}x" if o["best_engine"] else "-"
        lines.append(f"{op:14}" + "".join(cells) + "   " + best)
    return lines


def _record_notes(op: str, n: str, r: dict[str, Any]) -> list[str]:
    """One engine's op beyond its time: host copy, CPU fallback, error, mismatch."""
    lines = []
    if r.get("to_host_median_s") is not None:
        lines.append(
            f"  {n} {op}: device->host {format_seconds(r['to_host_median_s'])} (timed apart)"
        )
    elif r.get("to_host_note"):
        lines.append(f"  {n} {op}: device->host not timed: {r['to_host_note']}")
    if r.get("cpu_fallbacks"):
        lines.append(
            f"  {n} {op}: {format_seconds(r['median_s'])}, "
            f"{r.get('note') or 'CPU fallbacks ' + str(r['cpu_fallbacks'])}"
        )
    if r.get("error"):
        lines.append(f"  {n} {op}: ERROR {r['error'][:300]}")
    if r.get("equal") is False:
        lines.append(f"  {n} {op}: MISMATCH {r['equality']['summary']}")
    return lines
