"""GPU dataframes: pandas vs the fastest correct engine (polars, cudf.pandas, polars GPU), 9 ops.

ratio = geometric mean over the operations of pandas' median time / the best engine's median time,
where "best" is the fastest engine other than pandas whose result matched pandas. Smoke: 10^4
rows; full: 10^7 rows (lowered to fit free host and GPU memory, and recorded when it is). Every
engine's timings, its equality status, cudf.pandas' CPU fallbacks, GPU utilisation per operation
and the engines that were missing (with their install commands) are in `details`.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from gpulab.bench import BenchResult
from gpulab.workloads.dataframes import (
    ENGINES,
    OPERATIONS,
    REFERENCE,
    SIZES,
    SuiteConfig,
    SuiteResult,
    fallback_note,
    format_seconds,
    prepare_synthetic,
    run_suite,
    size_cap,
    telemetry_summary_by_op,
)

ROWS = {"smoke": 10**4, "full": 10**7}
GOAL_OPS = ("groupby", "join", "sort")  # the goal: cudf.pandas >= 10x pandas on these
GOAL_RATIO = 10.0


def config_for(profile: str) -> SuiteConfig:
    """Smoke: tiny and quick. Full: 1 warm-up, >= 3 repeats, more for ops under 0.5 s total.

    $GPULAB_DATAFRAMES_ENGINES (comma-separated engine names) narrows the engines, e.g. to fit
    a time-limited GPU session; pandas always runs as the reference."""
    chosen = os.environ.get("GPULAB_DATAFRAMES_ENGINES", "")
    engines = (
        {"engines": tuple(e.strip() for e in chosen.split(",") if e.strip())} if chosen else {}
    )
    if profile == "smoke":
        return SuiteConfig(warmup=1, repeats=3, min_time_s=0.02, max_repeats=10, **engines)
    return SuiteConfig(warmup=1, repeats=3, min_time_s=0.5, max_repeats=20, **engines)


def run(profile: str) -> BenchResult:
    from gpulab.telemetry import TelemetrySampler

    requested = ROWS[profile]
    cap = size_cap()
    rows = requested if requested <= cap.max_rows else max(cap.allowed(SIZES) or [SIZES[0]])
    with tempfile.TemporaryDirectory(prefix="gpulab-dataframes-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        dataset = prepare_synthetic(rows, workdir)
        generate_s = time.perf_counter() - started
        with TelemetrySampler(interval_s=0.1) as sampler:
            result = run_suite(dataset, config_for(profile), workdir, progress=_say)
        samples = sampler.samples()
    details = describe(result)
    details.update(
        requested_rows=requested,
        size_cap={"max_rows": cap.max_rows, "limited_by": cap.limited_by},
        generate_s=generate_s,
        telemetry_by_op=telemetry_summary_by_op(samples, result),
    )
    if rows != requested:
        details["note"] = f"rows lowered from {requested:,}: {cap.explain(requested)}"
    ours, peer = geomean_times(result)
    return BenchResult(
        metric="geomean op time (best engine vs pandas)",
        ours=ours,
        peer_name=ENGINES[REFERENCE].label,
        peer_value=peer,
        unit="s",
        higher_is_better=False,
        details=details,
    )


def _say(engine: str) -> None:
    print(f"  running {ENGINES[engine].label} ...", flush=True)


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


def describe(result: SuiteResult) -> dict[str, Any]:
    """Per-operation ratios and every engine's timings, equality and fallbacks."""
    operations: dict[str, Any] = {}
    for op in result.config.operations:
        best = result.best(op)
        ratios = result.speedups(op)
        engines = {}
        for name, report in result.engines.items():
            rec = report.records.get(op)
            if rec is None:
                continue
            t = rec.timing
            engines[name] = {
                "median_s": t.median_s if t else None,
                "p10_s": t.p10_s if t else None,
                "p90_s": t.p90_s if t else None,
                "repeats": t.repeats if t else 0,
                "to_host_median_s": rec.to_host.median_s if rec.to_host else None,
                "to_host_note": rec.to_host_note,
                "includes_transfer": rec.includes_transfer,
                "ratio_vs_pandas": ratios.get(name, 1.0 if name == REFERENCE else None),
                "equal": rec.equal,
                "equality": rec.equality.to_dict() if rec.equality else None,
                "result_rows": rec.result_rows,
                "error": rec.error,
                "skipped": rec.skipped,
                "cpu_fallbacks": rec.cpu_fallbacks,
                "note": fallback_note(rec),
            }
        operations[op] = {
            "best_engine": best[0] if best else None,
            "ratio_best": best[1] if best else None,
            "engines": engines,
        }
    cudf = result.engines.get("cudf.pandas")
    goal = {
        op: {
            "ratio": result.speedups(op).get("cudf.pandas"),
            "met": (result.speedups(op).get("cudf.pandas") or 0.0) >= GOAL_RATIO,
        }
        for op in GOAL_OPS
        if op in result.config.operations
    }
    mismatches = [
        {"engine": name, "op": op, "summary": rec.equality.summary}
        for name, report in result.engines.items()
        for op, rec in report.records.items()
        if rec.equality is not None and not rec.equality.ok
    ]
    fallbacks = {
        f"{name} {op}": note
        for name, report in result.engines.items()
        for op, rec in report.records.items()
        if (note := fallback_note(rec))
    }
    return {
        "rows": result.dataset.rows,
        "dataset": result.dataset.source,
        "bytes_per_row": result.dataset.bytes_per_row,
        "headline": (
            "geometric mean over operations of pandas median time / best engine median time; "
            "best = fastest engine other than pandas whose result matched pandas"
        ),
        "headline_speedup": result.headline(),
        "method": {
            "warmup": result.config.warmup,
            "min_repeats": result.config.repeats,
            "min_time_s": result.config.min_time_s,
            "rtol": result.config.rtol,
            "atol": result.config.atol,
            "gpu_sync": "cudaDeviceSynchronize inside the timed call; device→host timed apart",
            "to_host": (
                "cudf.pandas: proxy.as_cpu_object(), a fresh cuDF → pandas copy on every call; "
                "not timed (to_host_note says why) when the result was already in host memory"
            ),
        },
        "operations": operations,
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
        "cpu_fallbacks": fallbacks,
        "goal_cudf_pandas_10x": {
            "ops": goal,
            "ran": bool(cudf and cudf.ran),
            "met": bool(goal) and all(g["met"] for g in goal.values()),
        },
        "equality": {
            "checked": sum(
                1
                for report in result.engines.values()
                for rec in report.records.values()
                if rec.equality is not None
            ),
            "mismatches": mismatches,
        },
        "engines_requested": list(result.config.engines),
        "suite_seconds": result.seconds,
        "operations_run": list(OPERATIONS),
    }


def figures(report: dict[str, Any]) -> str:
    """The written report as text for a log: per-op medians and ratios, then each GPU result's
    device→host time (µs resolution) or why it has none, CPU fallbacks in words, errors and
    mismatches, the goal and the equality summary."""
    d = report["details"]
    engines = list(d["engines"])
    lines = [
        f"{report['device']}: {d['rows']:,} rows; headline ratio {report['ratio']:.2f} "
        f"({d['headline']})"
    ]
    for name, e in d["engines"].items():
        state = "ran" if e["ran"] else f"NOT RUN: {e['reason'] or ''} {e['error'] or ''}"[:300]
        lines.append(f"  {name:13} {state} {e['info']}")
    lines.append(f"{'op':14}" + "".join(f"{n:>15}" for n in engines) + "   best (x pandas)")
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
    for op, o in d["operations"].items():
        for n, r in o["engines"].items():
            if r.get("to_host_median_s") is not None:
                lines.append(
                    f"  {n} {op}: device->host {format_seconds(r['to_host_median_s'])} "
                    "(timed apart)"
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
    g = d["goal_cudf_pandas_10x"]
    lines.append(
        "goal cudf.pandas >= 10x on groupby/join/sort: "
        + ("met " if g["met"] else "NOT met ")
        + str({op: (round(v["ratio"], 1) if v["ratio"] else None) for op, v in g["ops"].items()})
    )
    lines.append(
        f"equality: checked {d['equality']['checked']} mismatches {d['equality']['mismatches']}"
    )
    return "\n".join(lines)
