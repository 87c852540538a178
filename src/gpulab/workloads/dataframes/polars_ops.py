"""The operations as polars lazy queries: the CPU and GPU engines run the same query and differ
only in `collect(engine=...)`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .columns import Inputs
from .config import ROLLING_WINDOW, STRING_NEEDLE


def polars_query(op: str, lf: Any, dim: Any, i: Inputs) -> Any:
    """The LazyFrame for one operation (write_parquet is a sink, run by `run_polars_op`)."""
    import polars as pl

    c = i.columns
    if op == "filter":
        return lf.filter(
            (pl.col(c.value) > c.value_threshold) & (pl.col(c.value2) < c.value2_threshold)
        )
    if op == "groupby":
        return lf.group_by(c.key).agg(
            value_mean=pl.col(c.value).mean(),
            value_std=pl.col(c.value).std(),
            value2_sum=pl.col(c.value2).sum(),
            value2_max=pl.col(c.value2).max(),
            n=pl.col(c.value).count(),
        )
    if op == "join":
        return lf.join(dim, on=c.key, how="inner")
    if op == "sort":
        return lf.sort([c.text, c.value], nulls_last=True)
    if op == "rolling":
        return lf.select(
            pl.col(c.value).rolling_mean(window_size=ROLLING_WINDOW).alias("rolling_mean")
        )
    if op == "strings":
        text = pl.col(c.text)
        return lf.select(
            upper=text.str.to_uppercase(),
            contains=text.str.contains(STRING_NEEDLE, literal=True),
            length=text.str.len_chars(),
        )
    if op == "resample":
        # resample = group rows by their timestamp truncated to the bin
        return lf.group_by(pl.col(c.time).dt.truncate("1m")).agg(
            value_mean=pl.col(c.value).mean(),
            value2_sum=pl.col(c.value2).sum(),
            n=pl.col(c.value).count(),
        )
    if op == "read_parquet":
        return pl.scan_parquet(i.fact_path)
    raise ValueError(f"no polars query for {op!r}")


def run_polars_op(op: str, lf: Any, dim: Any, i: Inputs, engine: Any) -> Any:
    """Execute one operation on a polars engine ('cpu' or a pl.GPUEngine)."""
    if op == "write_parquet":
        lf.sink_parquet(i.out_path, compression="snappy", engine=engine)
        return Path(i.out_path)
    return polars_query(op, lf, dim, i).collect(engine=engine)
