"""The user's own parquet or CSV file as the input: its columns mapped to the query roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpulab.errors import UsageError

from .columns import Columns
from .data import Dataset, free_name, write_dataset


def prepare_file(path: str | Path, workdir: Path, max_rows: int | None = None) -> Dataset:
    """Load the user's parquet or CSV file and map its columns to the roles the queries use.

    Only the columns that play a role are kept (a row id is added); the table is sorted by its
    time column so rolling windows and resampling mean something. Operations whose role has no
    column are skipped with the reason shown.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    table = read_user_table(path)
    notes = []
    if max_rows is not None and table.num_rows > max_rows:
        notes.append(f"kept the first {max_rows:,} of {table.num_rows:,} rows (memory cap)")
        table = table.slice(0, max_rows)
    if table.num_rows == 0:
        raise UsageError(f"{path} has no rows")
    roles = detect_roles(table)
    chosen = [name for name in dict.fromkeys(roles.values()) if name is not None]
    table = table.select(chosen)
    table = table.cast(pa.schema([_plain_field(f) for f in table.schema]))
    if roles["time"] is not None:
        table = table.take(pc.sort_indices(table, [(roles["time"], "ascending")]))
    row_id = free_name("row_id", table.column_names)
    table = table.append_column(row_id, pa.array(range(table.num_rows), type=pa.int64()))
    columns = Columns(
        row_id=row_id,
        **roles,
        value_threshold=_median(table, roles["value"]),
        value2_threshold=_median(table, roles["value2"]),
    )
    dataset = write_dataset(table, columns, workdir, source=f"file {Path(path).name}")
    dataset.notes.extend(notes)
    dataset.notes.append(
        "column roles: " + ", ".join(f"{role}={name}" for role, name in roles.items() if name)
    )
    return dataset


def read_user_table(path: str | Path) -> Any:
    """A parquet or CSV file as a pyarrow table; a clear error for anything else."""
    import pyarrow.csv as pv
    import pyarrow.parquet as pq

    path = Path(path).expanduser()
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pq.read_table(path)
        if suffix in (".csv", ".txt", ".tsv"):
            delimiter = "\t" if suffix == ".tsv" else ","
            return pv.read_csv(path, parse_options=pv.ParseOptions(delimiter=delimiter))
    except Exception as err:  # ArrowInvalid, OSError: the file is not what its name says
        raise UsageError(f"could not read {path.name}: {err}") from err
    raise UsageError(f"{path.name}: expected a .parquet or .csv file")


def detect_roles(table: Any) -> dict[str, str | None]:
    """Pick a column for each role by type: floats for values, a low-cardinality int or string
    column as the key, a string column as text, a timestamp/date column as time."""
    import pyarrow.compute as pc

    kinds = {f.name: _kind(f) for f in table.schema}
    floats = [n for n, k in kinds.items() if k == "float"]
    ints = [n for n, k in kinds.items() if k == "int"]
    strings = [n for n, k in kinds.items() if k == "string"]
    times = [n for n, k in kinds.items() if k == "time"]
    value = floats[0] if floats else (ints[0] if ints else None)
    value2 = next((n for n in floats + ints if n != value), None)
    text = strings[0] if strings else None
    candidates = [n for n in ints + strings if n not in (value, value2)]
    distinct = {n: pc.count_distinct(table.column(n)).as_py() for n in candidates}
    usable = [n for n in candidates if 1 < distinct[n] <= max(2, table.num_rows // 2)]
    key = min(usable, key=lambda n: distinct[n]) if usable else None
    return {
        "key": key,
        "value": value,
        "value2": value2,
        "text": text,
        "time": times[0] if times else None,
    }


def _kind(field: Any) -> str:
    """A column's type as a role candidate: float, int, string, time or other."""
    import pyarrow as pa

    t = field.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "time"
    return "other"


def _plain_field(field: Any) -> Any:
    """Dictionary → its values, large strings → strings, dates → ns timestamps: types every
    engine reads the same way."""
    import pyarrow as pa

    t = field.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_large_string(t):
        t = pa.string()
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        t = pa.timestamp("ns", getattr(t, "tz", None))
    return pa.field(field.name, t)


def _median(table: Any, column: str | None) -> float:
    import pyarrow.compute as pc

    if column is None:
        return 0.0
    value = pc.approximate_median(table.column(column)).as_py()
    return float(value) if value is not None else 0.0
