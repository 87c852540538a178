from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from gpulab.workloads.dataframes import (
    Columns,
    Dataset,
    PolarsSession,
    canonicalise,
    compare_tables,
    open_session,
    run_suite,
    to_arrow,
)

from .conftest import FAST


def test_equal_tables_match_across_int_widths_and_float_rounding() -> None:
    reference = pa.table({"k": pa.array([1, 2], pa.int64()), "v": [0.1 + 0.2, 1.0]})
    result = pa.table({"k": pa.array([1, 2], pa.uint32()), "v": [0.3, 1.0 + 1e-12]})
    assert compare_tables(result, reference).ok


def test_a_planted_float_error_is_caught_with_its_row_and_values() -> None:
    reference = pa.table({"k": [1, 2, 3], "v": [1.0, 2.0, 3.0]})
    result = pa.table({"k": [1, 2, 3], "v": [1.0, 2.001, 3.0]})
    report = compare_tables(result, reference)
    assert not report.ok
    assert report.mismatched_columns == {"v": 1}
    assert report.examples[0] == {"column": "v", "row": 1, "got": 2.001, "want": 2.0}
    assert "v: 1 rows" in report.summary


def test_nan_equals_nan_but_null_does_not_equal_a_value() -> None:
    nan = float("nan")
    assert compare_tables(pa.table({"v": [nan, 1.0]}), pa.table({"v": [nan, 1.0]})).ok
    strings = compare_tables(pa.table({"s": ["a", None]}), pa.table({"s": ["a", "b"]}))
    assert not strings.ok and strings.mismatched_columns == {"s": 1}
    both_null = compare_tables(pa.table({"s": ["a", None]}), pa.table({"s": ["a", None]}))
    assert both_null.ok


def test_row_count_and_column_differences_are_reported() -> None:
    reference = pa.table({"a": [1, 2, 3]})
    assert "2 rows, reference has 3" in compare_tables(pa.table({"a": [1, 2]}), reference).summary
    missing = compare_tables(pa.table({"b": [1, 2, 3]}), reference)
    assert not missing.ok and "missing ['a']" in missing.summary


def test_strings_are_compared_exactly() -> None:
    report = compare_tables(
        pa.table({"s": pa.array(["x", "Y"], pa.large_string())}), pa.table({"s": ["x", "y"]})
    )
    assert report.mismatched_columns == {"s": 1}


def test_canonical_form_sorts_unordered_results_and_drops_empty_bins() -> None:
    columns = Columns()
    groupby = canonicalise(pa.table({"key": [3, 1, 2], "n": [1, 1, 1]}), "groupby", columns)
    assert groupby["key"].to_pylist() == [1, 2, 3]
    resample = canonicalise(pa.table({"ts": [2, 1, 3], "n": [5, 0, 2]}), "resample", columns)
    assert resample["ts"].to_pylist() == [2, 3]
    ordered = canonicalise(pa.table({"x": [3, 1]}), "sort", columns)
    assert ordered["x"].to_pylist() == [3, 1]  # a sort's order is its result: never re-sorted


def test_pandas_results_keep_a_named_index_and_drop_an_unnamed_one() -> None:
    import pandas as pd

    grouped = pd.DataFrame({"n": [1, 2]}, index=pd.Index([7, 8], name="key"))
    assert to_arrow(grouped).column_names == ["key", "n"]
    filtered = pd.DataFrame({"n": [1, 2]}, index=[10, 20])
    assert to_arrow(filtered).column_names == ["n"]


class WrongStdPolars(PolarsSession):
    """A planted bug: population std (ddof=0) where pandas computes the sample std."""

    def run(self, op: str) -> Any:
        if op != "groupby":
            return super().run(op)
        c = self.inputs.columns
        return (
            self.lf.group_by(c.key)
            .agg(
                value_mean=pl.col(c.value).mean(),
                value_std=pl.col(c.value).std(ddof=0),
                value2_sum=pl.col(c.value2).sum(),
                value2_max=pl.col(c.value2).max(),
                n=pl.col(c.value).count(),
            )
            .collect()
        )


def planted(engine: str, dataset: Dataset) -> Any:
    return (
        WrongStdPolars(dataset, gpu=False) if engine == "polars" else open_session(engine, dataset)
    )


def test_a_planted_engine_bug_is_caught_and_never_counted_as_a_speedup(
    small_dataset: Dataset, workdir: Any
) -> None:
    config = replace(FAST, operations=("groupby", "filter"))
    result = run_suite(small_dataset, config, workdir, session_factory=planted)
    wrong = result.record("polars", "groupby")
    assert wrong.ok and wrong.equal is False
    assert set(wrong.equality.mismatched_columns) == {"value_std"}
    assert "polars" not in result.speedups("groupby")
    assert result.best("groupby")[0] == "pandas-arrow"
    assert result.record("polars", "filter").equal is True  # the rest of the engine is fine
    assert any(r["status"].startswith("MISMATCH") for r in result.rows() if r["op"] == "groupby")


def _pandas_3_0_set_grouper(monkeypatch: Any) -> None:
    """Put back pandas 3.0.x's `TimeGrouper._set_grouper` (copied from the 3.0.2 wheel; the
    GPU host runs 3.0.6): it rebuilds a pyarrow time axis as `Index(...)` without its name
    (pandas-dev/pandas#59823, fixed in 3.1), so `resample(on=...)` returns unnamed bins."""
    import pandas as pd
    from pandas.core import resample

    def set_grouper(self: Any, obj: Any, sort: bool = False, *, gpr_index: Any = None) -> Any:
        obj, ax, indexer = super(resample.TimeGrouper, self)._set_grouper(
            obj, sort, gpr_index=gpr_index
        )
        if isinstance(ax.dtype, pd.ArrowDtype) and ax.dtype.kind in "Mm":
            self._arrow_dtype = ax.dtype
            ax = pd.Index(ax.array._maybe_convert_datelike_array())
        return obj, ax, indexer

    monkeypatch.setattr(resample.TimeGrouper, "_set_grouper", set_grouper)


@pytest.mark.parametrize("pandas_version", ["installed", "3.0.x"])
def test_resample_returns_the_time_column_on_both_pandas_dtype_backends(
    small_dataset: Dataset, workdir: Path, monkeypatch: pytest.MonkeyPatch, pandas_version: str
) -> None:
    # The first H100 run (pandas 3.0.6): "pandas-arrow resample: MISMATCH columns differ:
    # missing ['ts']". The op itself must name the bins the same way on every engine.
    if pandas_version == "3.0.x":
        _pandas_3_0_set_grouper(monkeypatch)
    config = replace(FAST, engines=("pandas", "pandas-arrow"), operations=("resample",))
    result = run_suite(small_dataset, config, workdir)
    record = result.record("pandas-arrow", "resample")
    assert record.ok, record.error
    assert record.equal is True, record.equality.summary
    session = open_session("pandas-arrow", small_dataset)
    bins = session.run("resample")
    assert bins.index.name == small_dataset.columns.time
    assert to_arrow(bins).column_names[0] == small_dataset.columns.time
