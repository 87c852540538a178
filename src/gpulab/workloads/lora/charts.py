"""The training-loss chart, drawn from the loop's log: it fits a medium-width page at 1280 px.

altair is imported when the chart is drawn, not when the notebook opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CHART_WIDTH = 560  # px: inside the medium-width page's output area, with the axis titles


def loss_chart(losses: Sequence[tuple[int, float]], reference: float | None = None) -> Any:
    """Training loss per step; `reference` (the validation loss before training) as a dashed rule."""
    import altair as alt

    rows = [{"step": step, "loss": value} for step, value in losses]
    line = (
        alt.Chart(alt.Data(values=rows))
        .mark_line()
        .encode(x=alt.X("step:Q", title="step"), y=alt.Y("loss:Q", title="training loss"))
    )
    if reference is not None:
        rule = (
            alt.Chart(alt.Data(values=[{"loss": reference}]))
            .mark_rule(strokeDash=[4, 4], color="gray")
            .encode(y="loss:Q")
        )
        line = line + rule
    return line.properties(width=CHART_WIDTH, height=220)
