"""The notebook's two charts, drawn from results: matmul TFLOPS by format and size, and the stress
worker's rate per interval. altair is imported when a chart is drawn, not when the notebook opens.
Both fit a medium-width page at 1280 px: 560 px wide, the legend below the plot, labels uncut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gpulab.workloads.gpu_validation.results import Result
from gpulab.workloads.gpu_validation.stress_report import Event


def throughput_chart(results: Sequence[Result]) -> Any:
    """Grouped bars: median TFLOPS per matrix size, one bar per format (skipped ones left out)."""
    import altair as alt

    rows = [r.row() for r in results]
    rows = [r for r in rows if r["unit"] == "TFLOPS" and r["value"] is not None]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("size:N", title="n", sort=None),
            y=alt.Y("value:Q", title="TFLOPS (median)"),
            color=alt.Color("test:N", title=None, legend=_legend(alt)),
            xOffset="test:N",
            tooltip=["test:N", "size:N", "value:Q", "pct_of_datasheet:Q"],
        )
        .properties(width=560, height=220, title="Matmul throughput by format and size")
    )


def stress_rate_chart(intervals: Sequence[Event], started_at: float) -> Any:
    """A line per device: the TFLOPS of each interval report, against seconds since the start."""
    import altair as alt

    rows = [
        {"seconds": round(e["t"] - started_at, 1), "device": e["device"], "TFLOPS": e["tflops"]}
        for e in intervals
    ]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(x="seconds:Q", y="TFLOPS:Q", color=alt.Color("device:N", legend=_legend(alt)))
        .properties(width=560, height=160, title="Achieved TFLOPS per interval")
    )


def _legend(alt: Any) -> Any:
    """A legend under the plot whose labels are never truncated."""
    return alt.Legend(orient="bottom", columns=3, labelLimit=0)
