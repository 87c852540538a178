"""The operations as plain pandas code: pandas, pandas on Arrow dtypes and cudf.pandas run these
same functions (cudf.pandas by swapping the `pandas` module underneath them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .columns import Inputs
from .config import RESAMPLE_EVERY, ROLLING_WINDOW, STRING_NEEDLE


def pandas_filter(df: Any, dim: Any, i: Inputs) -> Any:
    c = i.columns
    return df[(df[c.value] > c.value_threshold) & (df[c.value2] < c.value2_threshold)]


def pandas_groupby(df: Any, dim: Any, i: Inputs) -> Any:
    c = i.columns
    return df.groupby(c.key).agg(
        value_mean=(c.value, "mean"),
        value_std=(c.value, "std"),
        value2_sum=(c.value2, "sum"),
        value2_max=(c.value2, "max"),
        n=(c.value, "count"),
    )


def pandas_join(df: Any, dim: Any, i: Inputs) -> Any:
    return df.merge(dim, on=i.columns.key, how="inner")


def pandas_sort(df: Any, dim: Any, i: Inputs) -> Any:
    return df.sort_values([i.columns.text, i.columns.value], na_position="last")


def pandas_rolling(df: Any, dim: Any, i: Inputs) -> Any:
    return df[i.columns.value].rolling(ROLLING_WINDOW).mean().to_frame("rolling_mean")


def pandas_strings(df: Any, dim: Any, i: Inputs) -> Any:
    text = df[i.columns.text]
    return (
        text.str.upper()
        .to_frame("upper")
        .assign(
            contains=text.str.contains(STRING_NEEDLE, regex=False),
            length=text.str.len(),
        )
    )


def pandas_resample(df: Any, dim: Any, i: Inputs) -> Any:
    c = i.columns
    result = df.resample(RESAMPLE_EVERY, on=c.time).agg(
        value_mean=(c.value, "mean"),
        value2_sum=(c.value2, "sum"),
        n=(c.value, "count"),
    )
    # The bins are labelled by the time column. pandas < 3.1 drops that label's name when the
    # column is pyarrow-backed (pandas-dev/pandas#59823), so name it where it went missing:
    # every engine then returns the bin start as a column called like the time column.
    if result.index.name != c.time:
        result = result.rename_axis(c.time)
    return result


def pandas_read_parquet(df: Any, dim: Any, i: Inputs) -> Any:
    import pandas as pd  # under cudf.pandas this is the accelerated module

    return pd.read_parquet(i.fact_path, **i.read_options)


def pandas_write_parquet(df: Any, dim: Any, i: Inputs) -> Any:
    df.to_parquet(i.out_path, compression="snappy", index=False)
    return Path(i.out_path)


PANDAS_OPS: dict[str, Callable[[Any, Any, Inputs], Any]] = {
    "filter": pandas_filter,
    "groupby": pandas_groupby,
    "join": pandas_join,
    "sort": pandas_sort,
    "rolling": pandas_rolling,
    "strings": pandas_strings,
    "resample": pandas_resample,
    "read_parquet": pandas_read_parquet,
    "write_parquet": pandas_write_parquet,
}
