"""GPU dataframes: the same queries on pandas, polars, cudf.pandas and the polars GPU engine.

One table (synthetic, or the user's parquet/CSV file) is written to parquet once; every engine loads
it, runs the same nine operations, and is timed the same way: warm-up calls first (the GPU engines
compile kernels and fill memory pools on first use), then at least `repeats` timed calls until
`min_time_s` was measured, median and spread reported. A GPU engine's result is synchronised before
the clock stops, and its conversion back to host memory is timed on its own, never inside the op.
Every result is compared with pandas (floats within tolerance) before any speedup is believed.

cudf.pandas must be installed before pandas is first imported, so GPU engines run in a worker
process (`python -m gpulab.workloads.dataframes --worker request.json`) that installs the
accelerator first and then runs exactly the pandas functions below; results travel back as parquet
files, timings as JSON. The CPU engines run in-process.

Reads like nanoGPT: a config, the data, the operations per engine family, one measuring loop.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gpulab.errors import MissingDependencyError, UsageError
from gpulab.timing import Timing, benchmark

OPERATIONS = (
    "filter",
    "groupby",
    "join",
    "sort",
    "rolling",
    "strings",
    "resample",
    "read_parquet",
    "write_parquet",
)
SIZES = (10**4, 10**5, 10**6, 10**7, 10**8)
REFERENCE = "pandas"  # every speedup and every equality check is against this engine
ROLLING_WINDOW = 100  # rows
RESAMPLE_EVERY = "1min"  # pandas spelling; polars: "1m"
STRING_NEEDLE = "7"
CATEGORIES = 100
# Working set per input byte: pandas keeps the input plus sort/merge temporaries, results, and the
# reference results kept for the equality checks; cuDF keeps input, hash tables and outputs on the
# GPU at once.
HOST_WORKING_SET = 16
GPU_WORKING_SET = 8


# --------------------------------------------------------------------------------------------
# Config


@dataclass
class SuiteConfig:
    """How to measure: which operations and engines, how many warm-up and timed calls."""

    operations: tuple[str, ...] = OPERATIONS
    engines: tuple[str, ...] = ("pandas", "pandas-arrow", "polars", "cudf.pandas", "polars-gpu")
    warmup: int = 1
    repeats: int = 3  # at least this many timed calls ...
    min_time_s: float = 0.25  # ... and more (up to max_repeats) until this much was measured
    max_repeats: int = 20
    rtol: float = 1e-6  # float tolerance of the equality check (sums and means reorder)
    atol: float = 1e-9
    worker_timeout_s: float = 1200.0

    def __post_init__(self) -> None:
        unknown = [op for op in self.operations if op not in OPERATIONS]
        if unknown:
            raise UsageError(f"unknown operation(s) {unknown}; choose from {list(OPERATIONS)}")
        unknown = [name for name in self.engines if name not in ENGINES]
        if unknown:
            raise UsageError(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
        if self.warmup < 1 or self.repeats < 3:
            raise UsageError("need at least 1 warm-up and 3 timed repeats")
        if self.max_repeats < self.repeats:
            raise UsageError("max_repeats must be >= repeats")


# --------------------------------------------------------------------------------------------
# Data: a synthetic table or the user's file, written once to parquet for every engine


@dataclass(frozen=True)
class Columns:
    """Which column plays which part in the queries; None = the data has no such column."""

    row_id: str = "id"
    key: str | None = "key"
    value: str | None = "x"
    value2: str | None = "y"
    text: str | None = "category"
    time: str | None = "ts"
    value_threshold: float = 0.0
    value2_threshold: float = 0.5


# The column roles each operation needs.
NEEDS: dict[str, tuple[str, ...]] = {
    "filter": ("value", "value2"),
    "groupby": ("key", "value", "value2"),
    "join": ("key",),
    "sort": ("text", "value"),
    "rolling": ("value",),
    "strings": ("text",),
    "resample": ("time", "value", "value2"),
    "read_parquet": (),
    "write_parquet": (),
}


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
    return _write_dataset(table, Columns(), workdir, source=f"synthetic ({rows:,} rows)", seed=seed)


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
    row_id = _free_name("row_id", table.column_names)
    table = table.append_column(row_id, pa.array(range(table.num_rows), type=pa.int64()))
    columns = Columns(
        row_id=row_id,
        **roles,
        value_threshold=_median(table, roles["value"]),
        value2_threshold=_median(table, roles["value2"]),
    )
    dataset = _write_dataset(table, columns, workdir, source=f"file {Path(path).name}")
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
    import pyarrow as pa
    import pyarrow.compute as pc

    def kind(field: Any) -> str:
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

    kinds = {f.name: kind(f) for f in table.schema}
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


def _free_name(name: str, taken: list[str]) -> str:
    while name in taken:
        name = f"_{name}"
    return name


def _median(table: Any, column: str | None) -> float:
    import pyarrow.compute as pc

    if column is None:
        return 0.0
    value = pc.approximate_median(table.column(column)).as_py()
    return float(value) if value is not None else 0.0


def _write_dataset(
    table: Any, columns: Columns, workdir: Path, source: str, seed: int = 0
) -> Dataset:
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
            [columns.key, *(_free_name(name, taken) for name in dim.column_names[1:])]
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


# --------------------------------------------------------------------------------------------
# How large a table fits


@dataclass(frozen=True)
class SizeCap:
    """The largest row count that fits the free host (and GPU) memory, and why."""

    max_rows: int
    host_available_bytes: int
    gpu_free_bytes: int | None
    bytes_per_row: float
    limited_by: str

    def allowed(self, sizes: Iterable[int] = SIZES) -> list[int]:
        return [s for s in sizes if s <= self.max_rows]

    def explain(self, rows: int) -> str:
        need = rows * self.bytes_per_row
        return (
            f"{rows:,} rows need about {need * HOST_WORKING_SET / 2**30:.1f} GiB of host memory"
            + (
                f" and {need * GPU_WORKING_SET / 2**30:.1f} GiB of GPU memory"
                if self.gpu_free_bytes is not None
                else ""
            )
            + f"; {self.host_available_bytes / 2**30:.1f} GiB host"
            + (
                f", {self.gpu_free_bytes / 2**30:.1f} GiB GPU free"
                if self.gpu_free_bytes is not None
                else ""
            )
        )


def estimate_bytes_per_row(sample_rows: int = 10_000) -> float:
    """Bytes per synthetic row, measured on a small generated sample."""
    return generate_table(sample_rows).nbytes / sample_rows


def size_cap(
    bytes_per_row: float | None = None,
    host_available_bytes: int | None = None,
    gpu_free_bytes: int | None = None,
    detect_gpu: bool = True,
) -> SizeCap:
    """Cap the row count from free host memory (psutil) and free GPU memory (NVML, GPU 0).

    Pass numbers to plan for another machine; `detect_gpu=False` plans for the CPU engines only.
    """
    bpr = bytes_per_row if bytes_per_row is not None else estimate_bytes_per_row()
    host = host_available_bytes if host_available_bytes is not None else _host_available()
    gpu = gpu_free_bytes if gpu_free_bytes is not None or not detect_gpu else _gpu_free_bytes()
    host_rows = int(host / (bpr * HOST_WORKING_SET))
    gpu_rows = int(gpu / (bpr * GPU_WORKING_SET)) if gpu else None
    if gpu_rows is not None and gpu_rows < host_rows:
        return SizeCap(gpu_rows, host, gpu, bpr, "GPU memory")
    return SizeCap(host_rows, host, gpu, bpr, "host memory")


def _host_available() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def _gpu_free_bytes() -> int | None:
    from gpulab.device import probe

    gpus = probe(use_torch=False).gpus
    if not gpus or gpus[0].memory_free_mib is None:
        return None
    return int(gpus[0].memory_free_mib * 2**20)


# --------------------------------------------------------------------------------------------
# Engines


@dataclass(frozen=True)
class Engine:
    """One way to run the queries: which code family, on which device, in which process."""

    name: str
    label: str
    family: str  # "pandas" (the same pandas code) or "polars" (the same lazy queries)
    gpu: bool
    modules: tuple[str, ...]
    isolated: bool  # runs in a worker process
    note: str


ENGINES: dict[str, Engine] = {
    e.name: e
    for e in [
        Engine(
            "pandas",
            "pandas (NumPy dtypes)",
            "pandas",
            False,
            ("pandas", "pyarrow"),
            False,
            "the reference: pandas' default dtypes, single-threaded",
        ),
        Engine(
            "pandas-arrow",
            "pandas (pyarrow dtypes)",
            "pandas",
            False,
            ("pandas", "pyarrow"),
            False,
            "the same pandas code on ArrowDtype columns (dtype_backend='pyarrow')",
        ),
        Engine(
            "polars",
            "polars (CPU)",
            "polars",
            False,
            ("polars", "pyarrow"),
            False,
            "lazy queries collected on the CPU, multi-threaded",
        ),
        Engine(
            "cudf.pandas",
            "cudf.pandas (GPU)",
            "pandas",
            True,
            ("cudf", "pandas", "pyarrow"),
            True,
            "the unchanged pandas code under cudf.pandas.install(), in a worker process",
        ),
        Engine(
            "polars-gpu",
            "polars GPU engine",
            "polars",
            True,
            ("polars", "cudf_polars", "pyarrow"),
            True,
            "the same lazy queries collected with pl.GPUEngine(raise_on_fail=True)",
        ),
    ]
}


@dataclass(frozen=True)
class EngineStatus:
    """Whether an engine can run here; if not, why and the command that would fix it."""

    name: str
    available: bool
    reason: str = ""
    hint: str = ""
    package: str = ""

    def error(self) -> MissingDependencyError | None:
        """The missing library as the toolkit's error (for `missing_dependency_callout`)."""
        if self.available or not self.hint:
            return None
        label = ENGINES[self.name].label
        purpose = label if label.endswith("engine") else f"the {label} engine"
        return MissingDependencyError(self.package, self.hint, purpose)


def cuda_major() -> int:
    """The CUDA major version the driver supports (12 or 13 for cuDF wheels); 12 if unknown."""
    from gpulab import nvml

    if not nvml.ensure():
        return 12
    version = nvml.query(nvml.module().nvmlSystemGetCudaDriverVersion, None)
    return 13 if version and version >= 13000 else 12


def install_hint(module: str) -> str:
    """The pip command that installs an engine's missing module."""
    if module == "cudf":
        return f"pip install cudf-cu{cuda_major()}"
    if module == "cudf_polars":
        return f"pip install cudf-polars-cu{cuda_major()}"
    return "pip install 'gpulab[dataframes]'"


def engine_status(name: str) -> EngineStatus:
    """Check an engine without importing its heavy modules (find_spec only)."""
    from gpulab import nvml
    from gpulab.deps import is_available

    engine = ENGINES[name]
    for module in engine.modules:
        if not is_available(module):
            distribution = {"cudf": "cuDF", "cudf_polars": "cudf-polars"}.get(module, module)
            return EngineStatus(
                name, False, f"{distribution} is not installed", install_hint(module), distribution
            )
    if engine.gpu and nvml.device_count() == 0:
        return EngineStatus(name, False, "no NVIDIA GPU is visible (NVML found none)")
    return EngineStatus(name, True)


# --------------------------------------------------------------------------------------------
# The operations. pandas family: plain pandas code (cudf.pandas runs these same functions).


@dataclass(frozen=True)
class Inputs:
    """What an operation may touch besides the frames: its column roles and file paths."""

    columns: Columns
    fact_path: str
    out_path: str
    read_options: dict[str, Any] = field(default_factory=dict)


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


# polars family: lazy queries; the CPU and GPU engines differ only in `collect(engine=...)`.


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


# --------------------------------------------------------------------------------------------
# Measuring one engine


@dataclass
class OpRecord:
    """One operation on one engine: its timing, its host conversion, and whether it was right."""

    engine: str
    op: str
    timing: Timing | None = None
    to_host: Timing | None = None  # device → host conversion, timed apart from the op
    to_host_note: str | None = None  # why `to_host` was not timed (result already on the host)
    result_on_host: bool = True  # False: the op's result stays on the GPU until to_host
    includes_transfer: bool = False  # True: the op's time includes host ↔ GPU copies (polars GPU)
    started: float = 0.0  # time.monotonic() (system-wide clock: comparable across processes)
    ended: float = 0.0
    result_rows: int | None = None
    error: str | None = None
    skipped: str | None = None
    equality: EqualityReport | None = None
    cpu_fallbacks: list[str] | None = None  # cudf.pandas: functions that ran on the CPU

    @property
    def ok(self) -> bool:
        return self.timing is not None and self.error is None

    @property
    def equal(self) -> bool | None:
        return None if self.equality is None else self.equality.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "op": self.op,
            "timing": self.timing.to_dict() if self.timing else None,
            "to_host": self.to_host.to_dict() if self.to_host else None,
            "to_host_note": self.to_host_note,
            "result_on_host": self.result_on_host,
            "includes_transfer": self.includes_transfer,
            "started": self.started,
            "ended": self.ended,
            "result_rows": self.result_rows,
            "error": self.error,
            "skipped": self.skipped,
            "equality": self.equality.to_dict() if self.equality else None,
            "cpu_fallbacks": self.cpu_fallbacks,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpRecord:
        data = dict(data)
        for key in ("timing", "to_host"):
            if data.get(key):
                data[key] = _timing_from_dict(data[key])
        if data.get("equality"):
            data["equality"] = EqualityReport(**data["equality"])
        return cls(**data)


def _timing_from_dict(data: dict[str, Any]) -> Timing:
    return Timing(
        samples_s=list(data["samples_s"]),
        method=data["method"],
        warmup=data["warmup"],
        work_per_call=data.get("work_per_call"),
        unit=data.get("unit", "calls"),
    )


def measure(
    fn: Callable[[], Any], config: SuiteConfig, sync: Callable[[], None] | None = None
) -> tuple[Timing, Any]:
    """Warm up, then time `fn` (plus `sync`, inside the clock) ≥ `repeats` times; more repeats
    for fast calls until `min_time_s` was measured. Returns the timing and the last result."""
    last: list[Any] = [None]

    def call() -> None:
        last[0] = None  # let the previous result go before the next call allocates its own
        last[0] = fn()
        if sync is not None:
            sync()

    first = benchmark(call, warmup=config.warmup, repeats=config.repeats)
    samples = list(first.samples_s)
    extra = 0
    if sum(samples) < config.min_time_s and first.median_s > 0:
        wanted = math.ceil((config.min_time_s - sum(samples)) / first.median_s)
        extra = min(wanted, config.max_repeats - config.repeats)
    if extra > 0:
        samples += benchmark(call, warmup=0, repeats=extra).samples_s
    return Timing(samples, first.method, config.warmup), last[0]


class _Session:
    """An engine with the data loaded: runs an op, synchronises, converts a result to host."""

    result_on_host = True
    includes_transfer = False

    def run(self, op: str) -> Any:
        raise NotImplementedError

    def sync(self) -> None:
        """Wait for queued device work (GPU engines); nothing to wait for on the CPU."""

    def to_host(self, result: Any) -> Any:
        return result

    def info(self) -> dict[str, Any]:
        return {}


class PandasSession(_Session):
    def __init__(self, dataset: Dataset, dtype_backend: str | None, accelerated: bool) -> None:
        import pandas as pd

        self.pd = pd
        self.accelerated = accelerated
        self.result_on_host = not accelerated
        options = {"dtype_backend": dtype_backend} if dtype_backend else {}
        self.inputs = Inputs(
            dataset.columns, str(dataset.fact_path), str(dataset.fact_path) + ".out", options
        )
        self.df = pd.read_parquet(dataset.fact_path, **options)
        self.dim = pd.read_parquet(dataset.dim_path, **options) if dataset.columns.key else None

    def run(self, op: str) -> Any:
        return PANDAS_OPS[op](self.df, self.dim, self.inputs)

    def sync(self) -> None:
        if self.accelerated:
            _cuda_synchronize()

    def to_host(self, result: Any) -> Any:
        if not self.accelerated or isinstance(result, Path):
            return result
        return proxy_to_host(result)

    def profile_fallbacks(self, op: str) -> list[str]:
        """One extra, untimed run under cudf.pandas' profiler: which calls fell back to CPU."""
        from cudf.pandas import Profiler

        with Profiler() as profiler:
            self.run(op)
        return sorted(
            name for name, calls in profiler.per_function_stats.items() if calls.get("cpu")
        )

    def info(self) -> dict[str, Any]:
        import pyarrow

        data = {"pandas": _version("pandas"), "pyarrow": pyarrow.__version__}
        if self.accelerated:
            import cudf.pandas

            data["cudf"] = _version("cudf")
            data["accelerator_active"] = bool(cudf.pandas.is_proxy_object(self.df))
            data["rmm_mode"] = os.environ.get("CUDF_PANDAS_RMM_MODE", "default")
        return data


class PolarsSession(_Session):
    def __init__(self, dataset: Dataset, gpu: bool) -> None:
        import polars as pl

        self.gpu = gpu
        self.includes_transfer = gpu  # collect() takes host data in and returns host data
        self.inputs = Inputs(
            dataset.columns, str(dataset.fact_path), str(dataset.fact_path) + ".out"
        )
        self.lf = pl.read_parquet(dataset.fact_path).lazy()
        self.dim = pl.read_parquet(dataset.dim_path).lazy() if dataset.columns.key else None
        self.engine: Any = "cpu"
        self.roundtrip: Timing | None = None
        if gpu:
            import rmm

            # Plain device memory (cudaMallocAsync), not the managed-memory pool cudf-polars
            # would pick by default; raise_on_fail so an unsupported query errors instead of
            # silently running on the CPU and being timed as GPU.
            self.engine = pl.GPUEngine(
                raise_on_fail=True,
                executor="in-memory",
                memory_resource=rmm.mr.CudaAsyncMemoryResource(),
            )

    def run(self, op: str) -> Any:
        return run_polars_op(op, self.lf, self.dim, self.inputs, self.engine)

    def sync(self) -> None:
        if self.gpu:
            _cuda_synchronize()

    def measure_roundtrip(self, config: SuiteConfig) -> None:
        """GPU collect() always starts from host memory and returns to it: time that round trip
        (the whole input in and out, no work) so op times can be read against it."""
        if self.gpu:
            import polars as pl

            touched = self.lf.with_columns(pl.lit(0).alias("__roundtrip"))
            self.roundtrip, _ = measure(lambda: touched.collect(engine=self.engine), config)

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {"polars": _version("polars")}
        if self.gpu:
            data["cudf_polars"] = _version("cudf_polars") or _version("cudf-polars-cu13")
            data["executor"] = "in-memory"
            if self.roundtrip is not None:
                data["input_roundtrip_median_s"] = self.roundtrip.median_s
        return data


def _version(module: str) -> str | None:
    import importlib
    import importlib.metadata

    try:
        return str(importlib.import_module(module).__version__)
    except Exception:
        try:
            return importlib.metadata.version(module)
        except Exception:
            return None


def _cuda_synchronize() -> None:
    """cudaDeviceSynchronize through cuda-bindings (a cuDF dependency): every stream, every op."""
    from cuda.bindings import runtime

    (err,) = runtime.cudaDeviceSynchronize()
    if err != runtime.cudaError_t.cudaSuccess:
        raise RuntimeError(f"cudaDeviceSynchronize failed: {err}")


def open_session(engine: str, dataset: Dataset) -> _Session:
    """Load the dataset into an engine (untimed setup)."""
    if engine == "pandas":
        return PandasSession(dataset, None, accelerated=False)
    if engine == "pandas-arrow":
        return PandasSession(dataset, "pyarrow", accelerated=False)
    if engine == "cudf.pandas":
        return PandasSession(dataset, None, accelerated=True)
    if engine == "polars":
        return PolarsSession(dataset, gpu=False)
    if engine == "polars-gpu":
        return PolarsSession(dataset, gpu=True)
    raise UsageError(f"unknown engine {engine!r}")


ResultSink = Callable[[OpRecord, Any], None]


def run_engine(
    engine: str,
    dataset: Dataset,
    config: SuiteConfig,
    on_result: ResultSink,
    session_factory: Callable[[str, Dataset], _Session] = open_session,
) -> dict[str, Any]:
    """Load the data, then measure every operation; each host result goes to `on_result`.

    One failing op (unsupported on this engine, out of memory) is recorded and the others still
    run. Returns setup facts (load time, versions).
    """
    started = time.perf_counter()
    session = session_factory(engine, dataset)
    setup_s = time.perf_counter() - started
    if isinstance(session, PolarsSession):
        session.measure_roundtrip(config)
    skipped = dataset.skipped(config.operations)
    for op in config.operations:
        record = OpRecord(
            engine,
            op,
            result_on_host=session.result_on_host,
            includes_transfer=session.includes_transfer,
        )
        if op in skipped:
            record.skipped = skipped[op]
            on_result(record, None)
            continue
        record.started = time.monotonic()
        result = None
        try:
            record.timing, result = measure(lambda op=op: session.run(op), config, session.sync)
            if not session.result_on_host:
                try:
                    record.to_host, record.to_host_note = measure_to_host(
                        result, session.to_host, config
                    )
                except Exception as err:  # the op's own timing stands; say why this is missing
                    record.to_host_note = f"not timed: {_describe(err)}"
            if isinstance(session, PandasSession) and session.accelerated:
                record.cpu_fallbacks = session.profile_fallbacks(op)
        except Exception as err:  # unsupported op, GPU OOM, engine bug: record and go on
            record.error = _describe(err)
        record.ended = time.monotonic()
        # The result as the engine holds it (a GPU engine's may still be on the device):
        # `on_result` saves or compares it through the engine's own API.
        on_result(record, result)
        del result
    info = session.info()
    info["setup_s"] = setup_s
    return info


def proxy_to_host(proxy: Any) -> Any:
    """A cudf.pandas proxy's data as a new, real pandas object; the proxy is left as it was.

    `as_cpu_object()` (cudf.pandas' final proxies: DataFrame, Series, Index) runs the
    accelerator's own fast → slow conversion, `cudf.DataFrame.to_pandas()` (a device → host
    copy), on every call, and does not touch the object the proxy wraps. Not `_fsproxy_slow`:
    that property converts once and then *keeps* the host copy in the proxy, so every later
    call returns it at once — which is why the first H100 run printed "device→host 0.0 ms" for
    10^7-row results: one untimed warm-up copy, then timed calls that copied nothing.
    """
    return proxy.as_cpu_object()


def measure_to_host(
    result: Any, convert: Callable[[Any], Any], config: SuiteConfig
) -> tuple[Timing | None, str | None]:
    """Time `convert(result)` (device → host) when it really copies; otherwise say why not.

    Two untimed conversions come first. If they return the same object (or `result` itself),
    the data already lives in host memory — cudf.pandas ran the op on the CPU, or the
    conversion caches its copy — and a timing would measure a no-op; the reason is returned
    instead of a number. Returns (timing, None) or (None, reason)."""
    if isinstance(result, (str, Path)):
        return None, "the op's result is the file it wrote: nothing to copy"
    first = convert(result)
    second = convert(result)
    cached = first is second or first is result
    del first, second
    if cached:
        return None, "already in host memory (e.g. the op ran on the CPU): nothing to copy"
    timing, _ = measure(lambda: convert(result), config)
    return timing, None


def format_seconds(seconds: float | None) -> str:
    """A duration with µs resolution whatever its size, so a real copy never reads as 0.0."""
    if seconds is None:
        return "-"
    if seconds >= 1.0:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _describe(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    lowered = text.lower()
    if "out of memory" in lowered or "out_of_memory" in lowered or "bad_alloc" in lowered:
        text = "GPU out of memory — try fewer rows. " + text
    return text[:2000]


# --------------------------------------------------------------------------------------------
# Equality: every engine's result against pandas, in one canonical form


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


def save_result(result: Any, path: Path) -> int:
    """Write a result as parquet through its own engine's API (a cudf.pandas result is written
    by cuDF from the GPU); returns its row count."""
    import shutil

    import pyarrow.parquet as pq

    if isinstance(result, (str, Path)):  # write_parquet: the file it wrote is the result
        shutil.copyfile(result, path)
    elif hasattr(result, "write_parquet"):  # polars
        result.write_parquet(path)
    else:  # pandas, or a cudf.pandas proxy: the same pandas calls
        frame = result.to_frame() if not hasattr(result, "columns") else result
        named_index = any(name is not None for name in frame.index.names)
        frame.reset_index(drop=not named_index).to_parquet(path, index=False)
    return pq.read_metadata(path).num_rows


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
    import numpy as np
    import pyarrow as pa

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
        a, b = _comparable(result.column(name)), _comparable(reference.column(name))
        if pa.types.is_floating(a.type) or pa.types.is_floating(b.type):
            x = a.cast(pa.float64()).to_numpy(zero_copy_only=False)
            y = b.cast(pa.float64()).to_numpy(zero_copy_only=False)
            bad = ~np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
        else:
            if a.type != b.type:
                try:
                    a = a.cast(b.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    mismatched[name] = result.num_rows
                    examples.append(
                        {"column": name, "row": None, "got": str(a.type), "want": str(b.type)}
                    )
                    continue
            bad = _unequal(a, b)
        count = int(bad.sum())
        if count:
            mismatched[name] = count
            for row in np.flatnonzero(bad)[:max_examples]:
                examples.append(
                    {
                        "column": name,
                        "row": int(row),
                        "got": _plain(a[int(row)].as_py()),
                        "want": _plain(b[int(row)].as_py()),
                    }
                )
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
    """Exact comparison in Arrow (no Python objects: 10^7 strings compare in milliseconds);
    null equals null, null never equals a value. A numpy bool mask of the differing rows."""
    import numpy as np
    import pyarrow.compute as pc

    equal = pc.equal(a, b)  # null where either side is null
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    same = pc.if_else(pc.is_null(equal), both_null, equal)
    return ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)


def _plain(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


# --------------------------------------------------------------------------------------------
# The GPU worker: a fresh process so cudf.pandas can be installed before pandas is imported


def run_engine_in_worker(
    engine: str, dataset: Dataset, config: SuiteConfig, on_result: ResultSink, workdir: Path
) -> dict[str, Any]:
    """Run `run_engine` in a worker process; results come back as parquet, timings as JSON."""
    out = Path(tempfile.mkdtemp(prefix=f"{engine.replace('.', '_')}-", dir=workdir))
    request = {
        "engine": engine,
        "dataset": dataset.to_dict(),
        "config": asdict(config),
        "out": str(out),
    }
    (out / "request.json").write_text(json.dumps(request))
    env = dict(os.environ)
    # cudf.pandas: a plain cudaMalloc pool rather than its managed-memory default (oversubscribed
    # managed memory can hang a shared GPU); keep a user's explicit choice.
    env.setdefault("CUDF_PANDAS_RMM_MODE", "pool")
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    log_path = out / "worker.log"
    command = [
        sys.executable,
        "-m",
        "gpulab.workloads.dataframes",
        "--worker",
        str(out / "request.json"),
    ]
    with open(log_path, "w") as log:
        try:
            code = subprocess.run(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=config.worker_timeout_s,
            ).returncode
        except subprocess.TimeoutExpired:
            code = None
    response_path = out / "response.json"
    response = json.loads(response_path.read_text()) if response_path.exists() else {}
    for data in response.get("records", []):
        record = OpRecord.from_dict(data)
        result_path = out / f"{record.op}.parquet"
        on_result(record, result_path if result_path.exists() else None)
    if code != 0 or "info" not in response:
        tail = log_path.read_text()[-3000:] if log_path.exists() else ""
        reason = "timed out" if code is None else f"exited with status {code}"
        raise WorkerError(f"the {engine} worker {reason}", tail)
    return response["info"]


class WorkerError(RuntimeError):
    """A worker process failed; `log` holds the end of its output."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(message + (f"\n{log}" if log else ""))
        self.log = log


def worker_main(request_path: str) -> int:
    """Entry point of the worker process (see `run_engine_in_worker`)."""
    request = json.loads(Path(request_path).read_text())
    engine, out = request["engine"], Path(request["out"])
    if engine == "cudf.pandas":
        if "pandas" in sys.modules:
            raise RuntimeError("pandas was imported before cudf.pandas.install()")
        import cudf.pandas

        cudf.pandas.install()  # from here on, `import pandas` is the accelerated module
    data = request["dataset"]
    dataset = Dataset(
        fact_path=Path(data["fact_path"]),
        dim_path=Path(data["dim_path"]),
        rows=data["rows"],
        columns=Columns(**data["columns"]),
        source=data["source"],
        bytes_per_row=data["bytes_per_row"],
        dim_rows=data.get("dim_rows", 0),
    )
    config = SuiteConfig(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in request["config"].items()}
    )
    records: list[dict[str, Any]] = []

    def save(record: OpRecord, result: Any) -> None:
        if result is not None and not record.error:
            record.result_rows = save_result(result, out / f"{record.op}.parquet")
        records.append(record.to_dict())
        _write_response(out, records, None)

    info = run_engine(engine, dataset, config, save)
    _write_response(out, records, info)
    return 0


def _write_response(out: Path, records: list[dict[str, Any]], info: dict[str, Any] | None) -> None:
    payload: dict[str, Any] = {"records": records}
    if info is not None:
        payload["info"] = info
    tmp = out / "response.json.tmp"
    tmp.write_text(json.dumps(payload))
    tmp.replace(out / "response.json")


# --------------------------------------------------------------------------------------------
# The suite: every engine, the reference first


@dataclass
class EngineReport:
    engine: str
    status: EngineStatus
    records: dict[str, OpRecord] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ran(self) -> bool:
        return self.status.available and self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "label": ENGINES[self.engine].label,
            "status": asdict(self.status),
            "info": self.info,
            "error": self.error,
            "records": {op: r.to_dict() for op, r in self.records.items()},
        }


@dataclass
class SuiteResult:
    dataset: Dataset
    config: SuiteConfig
    engines: dict[str, EngineReport]
    seconds: float = 0.0

    def record(self, engine: str, op: str) -> OpRecord | None:
        report = self.engines.get(engine)
        return report.records.get(op) if report else None

    def speedups(self, op: str) -> dict[str, float]:
        """pandas median / engine median for every engine that ran `op` and matched pandas."""
        ref = self.record(REFERENCE, op)
        if ref is None or not ref.ok:
            return {}
        out = {}
        for name in self.engines:
            rec = self.record(name, op)
            if name != REFERENCE and rec is not None and rec.ok and rec.equal is not False:
                out[name] = ref.timing.median_s / rec.timing.median_s
        return out

    def best(self, op: str) -> tuple[str, float] | None:
        """The fastest engine (other than pandas) with a correct result, and its speedup."""
        ratios = self.speedups(op)
        if not ratios:
            return None
        name = max(ratios, key=ratios.get)
        return name, ratios[name]

    def headline(self) -> float | None:
        """Geometric mean over operations of pandas time / best engine time."""
        ratios = [best[1] for op in self.config.operations if (best := self.best(op))]
        return math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else None

    def fallback_summary(self, op: str, engine: str = "cudf.pandas") -> str | None:
        """`engine`'s time for `op`, its speed vs pandas and its CPU fallback in words; None
        when nothing fell back."""
        rec = self.record(engine, op)
        note = fallback_note(rec) if rec is not None else None
        if note is None:
            return None
        ratio = self.speedups(op).get(engine)
        return (
            format_seconds(rec.timing.median_s if rec.timing else None)
            + (f" ({ratio:.2f}× pandas' speed)" if ratio else "")
            + f": {note}."
        )

    def missing(self) -> dict[str, dict[str, str]]:
        return {
            name: {"reason": r.status.reason or (r.error or ""), "hint": r.status.hint}
            for name, r in self.engines.items()
            if not r.ran
        }

    def rows(self) -> list[dict[str, Any]]:
        """Long-form rows (one per engine × op) for tables and charts."""
        out = []
        for name, report in self.engines.items():
            for op, rec in report.records.items():
                t = rec.timing
                ratio = self.speedups(op).get(name) if name != REFERENCE else 1.0
                out.append(
                    {
                        "rows": self.dataset.rows,
                        "engine": name,
                        "label": ENGINES[name].label,
                        "op": op,
                        "median_s": t.median_s if t else None,
                        "p10_s": t.p10_s if t else None,
                        "p90_s": t.p90_s if t else None,
                        "repeats": t.repeats if t else 0,
                        "to_host_s": rec.to_host.median_s if rec.to_host else None,
                        "to_host_note": rec.to_host_note,
                        "note": fallback_note(rec),
                        "speedup": ratio if rec.ok else None,
                        "equal": rec.equal,
                        "status": _status_text(rec),
                    }
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset.to_dict(),
            "config": asdict(self.config),
            "seconds": self.seconds,
            "engines": {name: r.to_dict() for name, r in self.engines.items()},
            "headline_speedup": self.headline(),
            "best": {op: self.best(op) for op in self.config.operations},
            "missing": self.missing(),
        }


def fallback_note(rec: OpRecord) -> str | None:
    """What a cudf.pandas CPU fallback means for the op's time, in words (a finding about
    cudf.pandas, not an error: the result is still checked against pandas)."""
    if not rec.cpu_fallbacks:
        return None
    return (
        f"ran on the CPU: cuDF could not run {', '.join(rec.cpu_fallbacks)} on the GPU, so "
        "cudf.pandas fell back to pandas; the time includes copying the data from GPU to host "
        "memory and pandas' own run"
    )


def _status_text(rec: OpRecord) -> str:
    if rec.skipped:
        return f"skipped: {rec.skipped}"
    if rec.error:
        return f"error: {rec.error.splitlines()[0][:200]}"
    if rec.equality is None:
        return "reference" if rec.engine == REFERENCE else "not checked"
    return "equal" if rec.equality.ok else f"MISMATCH: {rec.equality.summary}"


def run_suite(
    dataset: Dataset,
    config: SuiteConfig | None = None,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    statuses: dict[str, EngineStatus] | None = None,
    session_factory: Callable[[str, Dataset], _Session] = open_session,
) -> SuiteResult:
    """Run pandas (the reference) and then every other chosen engine; check each result.

    `statuses` reuses availability checks made earlier; `session_factory` builds in-process
    engines (tests plant a wrong engine through it to prove the equality check catches it)."""
    config = config or SuiteConfig()
    engines = [REFERENCE, *[e for e in config.engines if e != REFERENCE]]
    workdir = Path(workdir or dataset.fact_path.parent)
    references: dict[str, Any] = {}  # op -> pandas' result in canonical form (Arrow, in memory)
    started = time.perf_counter()
    reports: dict[str, EngineReport] = {}
    for name in engines:
        status = (statuses or {}).get(name) or engine_status(name)
        report = EngineReport(name, status)
        reports[name] = report
        if not status.available:
            continue
        if progress:
            progress(name)

        def on_result(record: OpRecord, result: Any, report: EngineReport = report) -> None:
            _check(record, result, dataset, config, references)
            report.records[record.op] = record

        try:
            if ENGINES[name].isolated:
                report.info = run_engine_in_worker(name, dataset, config, on_result, workdir)
            else:
                report.info = run_engine(name, dataset, config, on_result, session_factory)
        except Exception as err:
            report.error = _describe(err)
    return SuiteResult(dataset, config, reports, time.perf_counter() - started)


def _check(
    record: OpRecord, result: Any, dataset: Dataset, config: SuiteConfig, references: dict[str, Any]
) -> None:
    """Keep the reference's result, or compare another engine's result with it."""
    if record.skipped or record.error or result is None:
        return
    table = canonicalise(to_arrow(result), record.op, dataset.columns)
    record.result_rows = table.num_rows
    if record.engine == REFERENCE:
        references[record.op] = table
        return
    if record.op not in references:
        record.equality = EqualityReport(False, "pandas produced no result to compare with")
        return
    record.equality = compare_tables(table, references[record.op], config.rtol, config.atol)


# --------------------------------------------------------------------------------------------
# Telemetry per operation


def _op_spans(result: SuiteResult) -> list[tuple[float, float, str, str]]:
    """(start, end, engine, op) of every op that ran, in monotonic seconds."""
    return [
        (rec.started, rec.ended, name, op)
        for name, report in result.engines.items()
        for op, rec in report.records.items()
        if rec.ended > rec.started
    ]


def telemetry_by_op(
    samples: Iterable[Any], result: SuiteResult, origin: float | None = None
) -> list[dict[str, Any]]:
    """GPU samples that fell inside each op's window, tagged with engine and op, for charts.

    `origin` (a monotonic time) becomes t = 0; default: the first op's start."""
    windows = _op_spans(result)
    if not windows:
        return []
    origin = min(w[0] for w in windows) if origin is None else origin
    rows = []
    for sample in samples:
        for start, end, name, op in windows:
            if start <= sample.t <= end:
                rows.append(
                    {
                        "t": round(sample.t - origin, 3),
                        "engine": name,
                        "op": op,
                        "gpu": sample.gpu,
                        "utilization_pct": sample.utilization_pct,
                        "memory_used_mib": sample.memory_used_mib,
                        "power_w": sample.power_w,
                    }
                )
                break
    return rows


def op_windows(result: SuiteResult, origin: float | None = None) -> list[dict[str, Any]]:
    """Each op's [start, end] (seconds from `origin`) for shading telemetry charts."""
    spans = _op_spans(result)
    if not spans:
        return []
    origin = min(s[0] for s in spans) if origin is None else origin
    return [
        {"start": round(a - origin, 3), "end": round(b - origin, 3), "engine": name, "op": op}
        for a, b, name, op in spans
    ]


def telemetry_summary_by_op(
    samples: Iterable[Any], result: SuiteResult
) -> dict[str, dict[str, dict[str, float]]]:
    """Mean/max GPU utilisation and peak memory per engine and op (for reports)."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in telemetry_by_op(samples, result):
        grouped.setdefault((row["engine"], row["op"]), []).append(row)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (engine, op), rows in grouped.items():
        util = [r["utilization_pct"] for r in rows if r["utilization_pct"] == r["utilization_pct"]]
        out.setdefault(engine, {})[op] = {
            "samples": len(rows),
            "utilization_mean_pct": sum(util) / len(util) if util else float("nan"),
            "utilization_max_pct": max(util) if util else float("nan"),
            "memory_used_max_mib": max(r["memory_used_mib"] for r in rows),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", metavar="REQUEST_JSON", help="run one engine (internal)")
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "ENGINES",
    "OPERATIONS",
    "SIZES",
    "Columns",
    "Dataset",
    "EngineStatus",
    "EqualityReport",
    "OpRecord",
    "SuiteConfig",
    "SuiteResult",
    "compare_tables",
    "engine_status",
    "fallback_note",
    "format_seconds",
    "generate_table",
    "measure_to_host",
    "prepare_file",
    "prepare_synthetic",
    "proxy_to_host",
    "run_suite",
    "size_cap",
]
