"""Charts of a run: loss per term and rel. L2 over time, heat maps of prediction, exact and
|error|, and slices at chosen times. Altair is imported inside each function."""

from __future__ import annotations

from typing import Any

import numpy as np

from gpulab.workloads.pinn.loop import LogPoint, TrainResult

WIDTH = 300


def loss_chart(history: list[LogPoint]) -> Any:
    """Loss per term (log scale) and rel. L2 against steps, side by side."""
    import altair as alt

    rows = [
        {"step": p.step, "series": k, "value": max(v, 1e-16), "phase": p.phase}
        for p in history
        for k, v in p.terms.items()
    ]
    errs = [
        {
            "step": p.step,
            "series": "rel. L2 vs exact",
            "value": max(p.rel_l2, 1e-16),
            "phase": p.phase,
        }
        for p in history
    ]
    if not rows:
        return alt.Chart().mark_text(text="training starts…").properties(width=WIDTH, height=60)

    def panel(values: list, title: str) -> Any:
        return (
            alt.Chart(alt.Data(values=values))
            .mark_line(point=len(values) < 40)
            .encode(
                x=alt.X("step:Q"),
                y=alt.Y("value:Q", scale=alt.Scale(type="log"), title=title),
                color=alt.Color("series:N", legend=alt.Legend(orient="bottom")),
                tooltip=["step:Q", "series:N", "value:Q", "phase:N"],
            )
            .properties(width=WIDTH, height=200)
        )

    return alt.hconcat(panel(rows, "loss per term"), panel(errs, "rel. L2 error"))


def _map(values: np.ndarray, xs: np.ndarray, ts: np.ndarray, title: str, axes, scheme: str) -> Any:
    import altair as alt

    sx = max(1, len(xs) // 64)
    st = max(1, len(ts) // 50)
    rows = [
        {axes[0]: float(x), axes[1]: float(t), "u": float(values[j, i])}
        for j, t in enumerate(ts)
        if j % st == 0
        for i, x in enumerate(xs)
        if i % sx == 0
    ]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_rect()
        .encode(
            x=alt.X(f"{axes[0]}:O", axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y(f"{axes[1]}:O", sort="descending", axis=alt.Axis(labels=False, ticks=False)),
            color=alt.Color(
                "u:Q",
                scale=alt.Scale(scheme=scheme),
                legend=alt.Legend(orient="bottom", title=None),
            ),
        )
        .properties(width=190, height=150, title=title)
    )


def field_maps(result: TrainResult, axes: tuple[str, str]) -> Any:
    """Prediction, exact and |error| over the grid (first axis across, second up)."""
    import altair as alt

    xs, ts = result.grid
    err = np.abs(result.prediction - result.exact)
    return alt.hconcat(
        _map(result.prediction, xs, ts, "prediction", axes, "redblue"),
        _map(result.exact, xs, ts, "exact", axes, "redblue"),
        _map(err, xs, ts, "|error|", axes, "viridis"),
    ).resolve_scale(color="independent")


def slice_chart(result: TrainResult, times: list[float], axes: tuple[str, str]) -> Any:
    """u against the first axis at the grid times nearest `times`: exact (line) and PINN (dashed)."""
    import altair as alt

    xs, ts = result.grid
    rows = []
    for t in times:
        j = int(np.abs(ts - t).argmin())
        for i, x in enumerate(xs):
            label = f"{axes[1]} = {ts[j]:.2f}"
            rows.append(
                {axes[0]: float(x), "u": float(result.exact[j, i]), "curve": label, "kind": "exact"}
            )
            rows.append(
                {
                    axes[0]: float(x),
                    "u": float(result.prediction[j, i]),
                    "curve": label,
                    "kind": "PINN",
                }
            )
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_line()
        .encode(
            x=f"{axes[0]}:Q",
            y="u:Q",
            color=alt.Color("curve:N", legend=alt.Legend(orient="bottom")),
            strokeDash=alt.StrokeDash("kind:N", legend=alt.Legend(orient="bottom")),
        )
        .properties(width=560, height=220)
    )


def error_chart(rows: list[tuple[str, TrainResult]]) -> Any:
    """rel. L2 against wall time for each method of a comparison."""
    import altair as alt

    values = [
        {"method": name, "seconds": p.seconds, "rel_l2": max(p.rel_l2, 1e-16)}
        for name, r in rows
        for p in r.history
    ]
    return (
        alt.Chart(alt.Data(values=values))
        .mark_line()
        .encode(
            x=alt.X("seconds:Q", title="wall time (s)"),
            y=alt.Y("rel_l2:Q", scale=alt.Scale(type="log"), title="rel. L2"),
            color=alt.Color("method:N", legend=alt.Legend(orient="bottom", columns=2)),
        )
        .properties(width=560, height=220)
    )
