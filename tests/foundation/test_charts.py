"""A series keeps its colour whichever series a chart shows; the legend sits below, unclipped."""

from __future__ import annotations

from gpulab.ui.charts import series_colors

PALETTE = {"pandas": "#4c78a8", "polars": "#f58518", "cudf.pandas": "#54a24b"}


def test_a_series_keeps_its_colour_whichever_others_are_present() -> None:
    both = series_colors("engine", PALETTE, ["polars", "pandas"]).to_dict()
    alone = series_colors("engine", PALETTE, ["polars"]).to_dict()
    assert both["scale"] == {"domain": ["pandas", "polars"], "range": ["#4c78a8", "#f58518"]}
    assert alone["scale"] == {"domain": ["polars"], "range": ["#f58518"]}


def test_the_legend_is_below_the_plot_with_names_in_full() -> None:
    legend = series_colors("engine", PALETTE, ["pandas"], title="engine").to_dict()["legend"]
    assert legend == {"labelLimit": 0, "orient": "bottom"}
