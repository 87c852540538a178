"""Equality: every engine's result against pandas', both in one canonical Arrow form.

Exact for ints, strings, bools and times; floats within a tolerance, because sums and means are
reduced in another order on another engine. A mismatching engine gets no speedup for the op.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .columns import Columns


@dataclass
class EqualityReport:
    """Whether a result matches the reference, and if not, where."""

    ok: bool
    summary: str
    rows: int = 0
    reference_rows: int = 0
    mismatched_columns: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# How to put each op's result in a canonical order: by a column, or as returned (ordered ops).
def canonical_order(op: str, columns: Columns) -> list[str] | None:
    return {
        "groupby": [columns.key],
        "join": [columns.row_id],
        "resample": [columns.time],
    }.get(op)


def to_arrow(result: Any) -> Any:
    """Any engine's host result as a pyarrow Table: pandas (index kept only when named),
    polars, a written parquet file, or a table already."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if result is None:
        return None
    if isinstance(result, pa.Table):
        return result
    if isinstance(result, (str, Path)):
        return pq.read_table(result)
    if hasattr(result, "to_arrow") and not hasattr(result, "iloc"):  # polars
        return result.to_arrow()
    frame = (
        result.to_frame()
        if hasattr(result, "to_frame") and not hasattr(result, "columns")
        else result
    )
    named_index = any(name is not None for name in frame.index.names)
    frame = frame.reset_index(drop=not named_index)
    return pa.Table.from_pandas(frame, preserve_index=False)


def canonicalise(table: Any, op: str, columns: Columns) -> Any:
    """Sort rows where the engine may order them freely; drop resample's empty bins (pandas
    keeps them, polars does not)."""
    import pyarrow.compute as pc

    if op == "resample" and "n" in table.column_names:
        table = table.filter(pc.greater(table.column("n"), 0))
    order = canonical_order(op, columns)
    if order and all(name in table.column_names for name in order):
        table = table.sort_by([(name, "ascending") for name in order])
    return table


def compare_tables(
    result: Any, reference: Any, rtol: float = 1e-6, atol: float = 1e-9, max_examples: int = 5
) -> EqualityReport:
    """Column-by-column comparison: exact for ints, strings, bools and times; floats within
    rtol/atol (NaN equals NaN, null equals null). Integer widths and int/float may differ."""
    if result is None:
        return EqualityReport(False, "no result to compare")
    got, want = set(result.column_names), set(reference.column_names)
    if got != want:
        return EqualityReport(
            False,
            f"columns differ: missing {sorted(want - got)}, unexpected {sorted(got - want)}",
            result.num_rows,
            reference.num_rows,
        )
    if result.num_rows != reference.num_rows:
        return EqualityReport(
            False,
            f"{result.num_rows:,} rows, reference has {reference.num_rows:,}",
            result.num_rows,
            reference.num_rows,
        )
    mismatched: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    for name in reference.column_names:
        count, found = _compare_column(
            name, result.column(name), reference.column(name), rtol, atol, max_examples
        )
        if count:
            mismatched[name] = count
            examples += found
    if mismatched:
        parts = ", ".join(f"{name}: {count:,} rows" for name, count in mismatched.items())
        return EqualityReport(
            False,
            f"values differ ({parts})",
            result.num_rows,
            reference.num_rows,
            mismatched,
            examples,
        )
    return EqualityReport(True, "equal", result.num_rows, reference.num_rows)


def _compare_column(
    name: str, got: Any, want: Any, rtol: float, atol: float, max_examples: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many rows of one column differ, with the first few as examples; a type that cannot
    be cast to the reference's counts every row."""
    import numpy as np
    import pyarrow as pa

    a, b = _comparable(got), _comparable(want)
    if pa.types.is_floating(a.type) or pa.types.is_floating(b.type):
        x = a.cast(pa.float64()).to_numpy(zero_copy_only=False)
        y = b.cast(pa.float64()).to_numpy(zero_copy_only=False)
        bad = ~np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
    else:
        if a.type != b.type:
            try:
                a = a.cast(b.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                example = {"column": name, "row": None, "got": str(a.type), "want": str(b.type)}
                return len(got), [example]
        bad = _unequal(a, b)
    examples = [
        {
            "column": name,
            "row": int(row),
            "got": _plain(a[int(row)].as_py()),
            "want": _plain(b[int(row)].as_py()),
        }
        for row in np.flatnonzero(bad)[:max_examples]
    ]
    return int(bad.sum()), examples


def _comparable(column: Any) -> Any:
    """One contiguous array in a type that compares across engines."""
    import pyarrow as pa

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    t = array.type
    if pa.types.is_dictionary(t):
        array, t = array.cast(t.value_type), t.value_type
    is_string_view = getattr(pa.types, "is_string_view", lambda _: False)  # pyarrow >= 16
    if pa.types.is_large_string(t) or is_string_view(t):
        array = array.cast(pa.string())
    elif pa.types.is_integer(t):
        array = array.cast(pa.int64())
    elif pa.types.is_timestamp(t):
        array = array.cast(pa.timestamp("ns", t.tz))
    return array


def _unequal(a: Any, b: Any) -> Any:
    """Exact comparison in Arrow (no Python object per row, so 10^7 strings compare quickly);
    null equals null, null never equals a value. A numpy bool mask of the differing rows."""
    import numpy as np
    import pyarrow.compute as pc

    equal = pc.equal(a, b)  # null where either side is null
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    same = pc.if_else(pc.is_null(equal), both_null, equal)
    return ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)


def _plain(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
