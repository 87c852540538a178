"""Tables and altair charts of a serving run (altair imported inside the functions)."""

from __future__ import annotations

from typing import Any

from .loadtest import LoadRow, best_under

PALETTE = {"dynamic batching": "#76b900", "no batching": "#5b6b7a"}
WIDTH = 280


def _label(batching: bool) -> str:
    return "dynamic batching" if batching else "no batching"


def load_table(rows: list[LoadRow]) -> list[dict[str, Any]]:
    """One narrow row per measured level."""
    return [
        {
            "model": r.model,
            "batcher": _label(r.batching),
            "load": f"{r.mode} {r.level:g}" + (" req/s" if r.mode == "open" else " in flight"),
            "req/s": round(r.throughput_rps, 1),
            "p50 ms": _ms(r.p50_ms),
            "p99 ms": _ms(r.p99_ms),
            "errors": r.errors,
            "batch": _ms(r.server_batch_mean),
            "server ms": _server_ms(r),
            "GPU util %": None if r.gpu_util_mean is None else round(r.gpu_util_mean),
        }
        for r in rows
    ]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _server_ms(row: LoadRow) -> float | None:
    """Queue + compute per request as the server counted it; the rest of p50 is the wire and
    the client."""
    if row.server_queue_ms is None or row.server_compute_ms is None:
        return None
    return round(row.server_queue_ms + row.server_compute_ms, 1)


def chart_rows(rows: list[LoadRow], p99_limit_ms: float) -> list[dict[str, Any]]:
    out = []
    for model in dict.fromkeys(r.model for r in rows):
        for batching in (True, False):
            mine = [r for r in rows if r.model == model and r.batching == batching]
            closed = [r for r in mine if r.mode == "closed"]
            knee = best_under(closed, p99_limit_ms)
            out += [
                {
                    "model": model,
                    "batcher": _label(batching),
                    "concurrency": r.level,
                    "throughput": r.throughput_rps,
                    "p99": r.p99_ms,
                    "knee": r is knee,
                }
                for r in closed
                if r.p99_ms is not None
            ]
    return out


def charts(rows: list[LoadRow], p99_limit_ms: float) -> Any:
    """Throughput vs concurrency, and p99 latency vs throughput with each knee (the highest
    throughput whose p99 stays within the limit) ringed and the limit drawn."""
    import altair as alt

    data = chart_rows(rows, p99_limit_ms)
    if not data:
        return None
    base = alt.Chart(alt.Data(values=data))
    names = [name for name in PALETTE if name in {d["batcher"] for d in data}]
    color = alt.Color(
        "batcher:N",
        scale=alt.Scale(domain=names, range=[PALETTE[n] for n in names]),
        legend=alt.Legend(orient="bottom", labelLimit=0),
    )
    shape = alt.Shape("model:N", legend=alt.Legend(orient="bottom"))
    left = base.mark_line(point=True).encode(
        x=alt.X("concurrency:Q", scale=alt.Scale(type="log", base=2), title="requests in flight"),
        y=alt.Y("throughput:Q", title="requests / s"),
        color=color,
        detail="model:N",
        shape=shape,
    )
    right_line = base.mark_line(point=True).encode(
        x=alt.X("throughput:Q", title="requests / s"),
        y=alt.Y("p99:Q", title="p99 latency (ms)", scale=alt.Scale(type="log")),
        color=color,
        detail="model:N",
        shape=shape,
    )
    knees = base.transform_filter("datum.knee").mark_point(size=220, filled=False, color="red")
    knees = knees.encode(x="throughput:Q", y="p99:Q")
    limit = alt.Chart(alt.Data(values=[{"p99": p99_limit_ms}])).mark_rule(strokeDash=[4, 4])
    right = right_line + knees + limit.encode(y="p99:Q")
    return alt.hconcat(
        left.properties(width=WIDTH, height=220, title="throughput vs concurrency"),
        right.properties(width=WIDTH, height=220, title="latency vs throughput (knee ringed)"),
    )


def gains(result: Any) -> list[dict[str, Any]]:
    """Per model: best throughput within the p99 limit with and without batching, the ratio."""
    out = []
    for model in result.config.models:
        on, off = result.best(model, True), result.best(model, False)
        gain = result.gain(model)
        out.append(
            {
                "model": model,
                "batched req/s": round(on.throughput_rps, 1) if on else None,
                "at concurrency": on.level if on else None,
                "unbatched req/s": round(off.throughput_rps, 1) if off else None,
                "gain": f"{gain:.2f}x" if gain else "n/a (a side misses the limit)",
            }
        )
    return out
