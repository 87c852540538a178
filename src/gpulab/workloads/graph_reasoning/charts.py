"""The dashboard's charts (altair, imported inside each function): curves, intervals,
confusion matrices, an example graph. Every width stays under 640 px; legends sit below."""

from __future__ import annotations

from typing import Any

from .config import DOMAIN_LABELS, MODEL_LABELS
from .display import curve_rows, example_graph
from .domains import Instance

MODEL_COLORS = {
    MODEL_LABELS["hierarchical-rgcn"]: "#76b900",
    MODEL_LABELS["flat-rgcn"]: "#1f77b4",
    MODEL_LABELS["bag-of-relations-mlp"]: "#ff7f0e",
}


def _legend() -> Any:
    import altair as alt

    return alt.Legend(orient="bottom", columns=2)


def curves_chart(rows: list[dict[str, Any]], title: str = "Training curves") -> Any:
    """Loss and accuracy per epoch, train dashed and validation solid, one line per run."""
    import altair as alt

    points = [
        {**p, "model": MODEL_LABELS[p["model"]], "domain": DOMAIN_LABELS[p["domain"]]}
        for p in curve_rows(rows)
    ]
    return (
        alt.Chart(alt.Data(values=points))
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("model:N", scale=_scale(points), legend=_legend()),
            strokeDash=alt.StrokeDash("split:N", legend=alt.Legend(orient="bottom")),
            detail="run:N",
            tooltip=["run:N", "epoch:Q", "split:N", "metric:N", "value:Q"],
        )
        .properties(width=180, height=120)
        .facet(row=alt.Row("metric:N", title=None), column=alt.Column("domain:N", title=None))
        .resolve_scale(y="independent")
        .properties(title=title)
    )


def _scale(points: list[dict[str, Any]]) -> Any:
    import altair as alt

    names = [m for m in MODEL_COLORS if any(p["model"] == m for p in points)]
    return alt.Scale(domain=names, range=[MODEL_COLORS[m] for m in names])


def interval_chart(summary: list[dict[str, Any]]) -> Any:
    """Mean test accuracy per domain and model, with its 95 % interval as a bar."""
    import altair as alt

    points = [
        {
            "domain": DOMAIN_LABELS[r["domain"]],
            "model": MODEL_LABELS[r["model"]],
            "mean": r["mean"],
            "low": r["mean"] - (r["ci95"] if r["ci95"] == r["ci95"] else 0),
            "high": r["mean"] + (r["ci95"] if r["ci95"] == r["ci95"] else 0),
        }
        for r in summary
    ]
    base = alt.Chart(alt.Data(values=points)).encode(
        y=alt.Y("model:N", title=None, axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color("model:N", scale=_scale(points), legend=_legend()),
    )
    dots = base.mark_point(filled=True, size=60).encode(
        x=alt.X("mean:Q", title="test accuracy", scale=alt.Scale(domain=[0.3, 1.0])),
        tooltip=["domain:N", "model:N", "mean:Q", "low:Q", "high:Q"],
    )
    bars = base.mark_rule(strokeWidth=2).encode(x="low:Q", x2="high:Q")
    return (
        (bars + dots)
        .properties(width=170, height=70)
        .facet(column=alt.Column("domain:N", title=None))
        .properties(title="Test accuracy over seeds (dot: mean, bar: 95 % interval)")
    )


def confusion_chart(rows: list[dict[str, Any]]) -> Any:
    """One 2 x 2 heatmap of counts per domain."""
    import altair as alt

    base = alt.Chart(alt.Data(values=rows)).encode(x=alt.X("predicted:N"), y=alt.Y("true:N"))
    heat = base.mark_rect().encode(color=alt.Color("count:Q", legend=None))
    text = base.mark_text(fontSize=13).encode(text="count:Q")
    return (
        (heat + text)
        .properties(width=120, height=120)
        .facet(column=alt.Column("domain:N", title=None))
        .properties(title="Confusion matrices (test split)")
    )


def example_chart(inst: Instance, title: str) -> Any:
    """One instance drawn on a circle: nodes coloured by type, edges with their relation."""
    import altair as alt

    nodes, edges = example_graph(inst)
    axis = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    room = alt.Scale(domain=[-1.2, 1.2])
    lines = (
        alt.Chart(alt.Data(values=edges))
        .mark_rule(opacity=0.4)
        .encode(
            x=alt.X("x:Q", axis=axis, scale=room),
            y=alt.Y("y:Q", axis=axis, scale=room),
            x2="x2:Q",
            y2="y2:Q",
            tooltip=["relation:N"],
        )
    )
    dots = (
        alt.Chart(alt.Data(values=nodes))
        .mark_circle(size=140, opacity=0.95)
        .encode(
            x="x:Q",
            y="y:Q",
            color=alt.Color("type:N", legend=_legend()),
            tooltip=["node:Q", "type:N"],
        )
    )
    return (lines + dots).properties(width=190, height=190, title=title)
