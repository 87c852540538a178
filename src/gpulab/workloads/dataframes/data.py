"""The input: a synthetic table (or the user's, see `user_file`), written once to parquet.

Every engine loads the same two parquet files: the fact table and a dimension table for the join.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gpulab.errors import UsageError

from .columns import NEEDS, Columns

CATEGORIES = 100  # distinct values of the synthetic string column


@dataclass
class Dataset:
    """The prepared input: fact and dimension tables as parquet, and what their columns mean."""

    fact_path: Path
    dim_path: Path
    rows: int
    columns: Columns
    source: str
    bytes_per_row: float
    dim_rows: int = 0
    notes: list[str] = field(default_factory=list)

    def skipped(self, operations: Iterable[str]) -> dict[str, str]:
        """Operations this data cannot run, with the reason (a column role it lacks)."""
        out = {}
        for op in operations:
            lacking = [role for role in NEEDS[op] if getattr(self.columns, role) is None]
            if lacking:
                out[op] = f"the data has no {' / '.join(lacking)} column"
        return out

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fact_path"], data["dim_path"] = str(self.fact_path), str(self.dim_path)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dataset:
        """The dataset a worker process was sent (`to_dict` via JSON); its notes stay behind."""
        return cls(
            fact_path=Path(data["fact_path"]),
            dim_path=Path(data["dim_path"]),
            rows=data["rows"],
            columns=Columns(**data["columns"]),
            source=data["source"],
            bytes_per_row=data["bytes_per_row"],
            dim_rows=data.get("dim_rows", 0),
        )


def generate_table(rows: int, seed: int = 0) -> Any:
    """A synthetic fact table (pyarrow): ids, a join/group key, two floats, a categorical string
    and increasing timestamps (about one a second, so each 1-minute bin holds ~60 rows)."""
    import numpy as np
    import pyarrow as pa

    if rows < 1:
        raise UsageError(f"rows must be positive, got {rows}")
    rng = np.random.default_rng(seed)
    n_keys = synthetic_key_count(rows)
    vocabulary = pa.array([f"cat_{i:03d}" for i in range(CATEGORIES)])
    codes = pa.array(rng.integers(0, CATEGORIES, rows, dtype=np.int32))
    gaps_ns = rng.integers(1, 2_000_000_000, rows, dtype=np.int64)
    start = np.datetime64("2024-01-01T00:00:00", "ns").astype(np.int64)
    return pa.table(
        {
            "id": np.arange(rows, dtype=np.int64),
            "key": rng.integers(0, n_keys, rows, dtype=np.int64),
            "x": rng.standard_normal(rows),
            "y": rng.random(rows),
            "category": pa.DictionaryArray.from_arrays(codes, vocabulary).cast(pa.string()),
            "ts": pa.array(start + np.cumsum(gaps_ns), type=pa.timestamp("ns")),
        }
    )


def synthetic_key_count(rows: int) -> int:
    """Distinct join/group keys: ~100 rows per key, between 10 and 100 000 keys."""
    return max(10, min(100_000, rows // 100))


def dimension_table(keys: Any, seed: int = 0) -> Any:
    """A dimension table for the join: 9 of every 10 distinct keys, with a weight and a region."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    unique = pc.unique(keys).drop_null()
    unique = unique.take(pc.sort_indices(unique))
    kept = unique.filter(pa.array(np.arange(len(unique)) % 10 != 9))
    rng = np.random.default_rng(seed + 1)
    regions = pa.array([f"region_{i}" for i in range(8)])
    region_codes = pa.array(rng.integers(0, 8, len(kept), dtype=np.int32))
    return pa.table(
        {
            "dim_key": kept,
            "dim_weight": rng.random(len(kept)),
            "dim_region": pa.DictionaryArray.from_arrays(region_codes, regions).cast(pa.string()),
        }
    )


def prepare_synthetic(rows: int, workdir: Path, seed: int = 0) -> Dataset:
    """Generate the synthetic table and its dimension table as parquet under `workdir`."""
    table = generate_table(rows, seed)
    return write_dataset(table, Columns(), workdir, source=f"synthetic ({rows:,} rows)", seed=seed)


def write_dataset(
    table: Any, columns: Columns, workdir: Path, source: str, seed: int = 0
) -> Dataset:
    """Write the fact table and, when it has a key column, its dimension table as parquet."""
    import pyarrow.parquet as pq

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    fact_path, dim_path = workdir / "fact.parquet", workdir / "dim.parquet"
    pq.write_table(table, fact_path, compression="snappy")
    dim_rows = 0
    if columns.key is not None:
        dim = dimension_table(table.column(columns.key), seed)
        taken = [name for name in table.column_names if name != columns.key]
        dim = dim.rename_columns(
            [columns.key, *(free_name(name, taken) for name in dim.column_names[1:])]
        )
        pq.write_table(dim, dim_path, compression="snappy")
        dim_rows = dim.num_rows
    return Dataset(
        fact_path=fact_path,
        dim_path=dim_path,
        rows=table.num_rows,
        columns=columns,
        source=source,
        bytes_per_row=table.nbytes / max(1, table.num_rows),
        dim_rows=dim_rows,
    )


def free_name(name: str, taken: list[str]) -> str:
    """`name`, prefixed with underscores until no column in `taken` has it."""
    while name in taken:
        name = f"_{name}"
    return name
