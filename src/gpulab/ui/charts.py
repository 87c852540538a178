"""Chart encodings every notebook wants the same way: a series keeps its colour in every chart,
and the legend sits below the plot with names in full (a side legend clips at 1280 px)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def series_colors(
    field: str, palette: Mapping[str, str], present: Iterable[str], title: str | None = None
) -> Any:
    """An altair colour encoding of `field` over the names in `palette` that are `present`."""
    import altair as alt

    shown = set(present)
    names = [name for name in palette if name in shown]
    return alt.Color(
        f"{field}:N",
        title=title or field,
        scale=alt.Scale(domain=names, range=[palette[name] for name in names]),
        legend=alt.Legend(orient="bottom", labelLimit=0),
    )
