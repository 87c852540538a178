from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from gpulab.errors import UsageError
from gpulab.workloads.dataframes import (
    GPU_WORKING_SET,
    HOST_WORKING_SET,
    SIZES,
    detect_roles,
    generate_table,
    prepare_file,
    prepare_synthetic,
    size_cap,
    synthetic_key_count,
)


def test_synthetic_table_has_int_float_string_and_timestamp_columns() -> None:
    table = generate_table(5_000, seed=3)
    types = {f.name: f.type for f in table.schema}
    assert types == {
        "id": pa.int64(),
        "key": pa.int64(),
        "x": pa.float64(),
        "y": pa.float64(),
        "category": pa.string(),
        "ts": pa.timestamp("ns"),
    }
    assert pc.count_distinct(table["category"]).as_py() <= 100  # categorical strings
    ts = table["ts"].to_numpy()
    assert (np.diff(ts.astype(np.int64)) > 0).all()  # strictly increasing: resample bins fill
    assert table["key"].to_numpy().max() < synthetic_key_count(5_000)


def test_synthetic_table_is_reproducible_from_its_seed() -> None:
    assert generate_table(1_000, seed=1).equals(generate_table(1_000, seed=1))
    assert not generate_table(1_000, seed=1).equals(generate_table(1_000, seed=2))


def test_dimension_table_leaves_out_one_key_in_ten(tmp_path: Path) -> None:
    dataset = prepare_synthetic(20_000, tmp_path)
    dim = pq.read_table(dataset.dim_path)
    keys = pc.count_distinct(pq.read_table(dataset.fact_path)["key"]).as_py()
    assert dim.column_names == ["key", "dim_weight", "dim_region"]
    assert dim.num_rows == keys - keys // 10
    assert pc.count_distinct(dim["key"]).as_py() == dim.num_rows  # a real dimension: unique keys


def test_size_cap_comes_from_the_scarcer_memory() -> None:
    bpr = 50.0
    host_only = size_cap(bpr, host_available_bytes=60 * 2**30, detect_gpu=False)
    assert host_only.limited_by == "host memory"
    assert host_only.max_rows == int(60 * 2**30 / (bpr * HOST_WORKING_SET))
    assert host_only.allowed() == [s for s in SIZES if s <= host_only.max_rows]
    small_gpu = size_cap(bpr, host_available_bytes=500 * 2**30, gpu_free_bytes=8 * 2**30)
    assert small_gpu.limited_by == "GPU memory"
    assert small_gpu.max_rows == int(8 * 2**30 / (bpr * GPU_WORKING_SET))
    assert 10**8 not in small_gpu.allowed()
    assert "GiB" in small_gpu.explain(10**8)


def test_size_cap_allows_1e8_rows_on_an_h100_host() -> None:
    # 128 GiB host with ~100 GiB free, 80 GiB GPU: the largest synthetic size fits.
    cap = size_cap(51.0, host_available_bytes=100 * 2**30, gpu_free_bytes=79 * 2**30)
    assert cap.allowed()[-1] == 10**8


def test_csv_file_columns_are_mapped_to_roles_and_sorted_by_time(tmp_path: Path) -> None:
    csv = tmp_path / "sales.csv"
    rows = ["when,amount,qty,store"]
    for i in range(200):
        rows.append(f"2024-01-01T00:{(199 - i) % 60:02d}:{i % 60:02d},{i * 1.5},{i % 7},s{i % 5}")
    csv.write_text("\n".join(rows) + "\n")
    dataset = prepare_file(csv, tmp_path / "work")
    c = dataset.columns
    assert (c.time, c.value, c.value2, c.text) == ("when", "amount", "qty", "store")
    assert c.key == "store"  # fewest distinct values among int/string columns: 5 stores
    table = pq.read_table(dataset.fact_path)
    when = table["when"].to_numpy().astype(np.int64)
    assert (np.diff(when) >= 0).all()
    assert table[c.row_id].to_pylist() == list(range(200))
    assert dataset.skipped(["sort", "resample"]) == {}


def test_a_file_without_a_text_column_skips_the_string_ops(tmp_path: Path) -> None:
    path = tmp_path / "numbers.parquet"
    table = pa.table({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.5, 0.1, 0.2, 0.3], "k": [1, 1, 2, 2]})
    pq.write_table(table, path)
    dataset = prepare_file(path, tmp_path / "work")
    skipped = dataset.skipped(["strings", "sort", "resample", "groupby"])
    assert set(skipped) == {"strings", "sort", "resample"}
    assert "text" in skipped["strings"] and "time" in skipped["resample"]


def test_unreadable_files_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        prepare_file(tmp_path / "missing.csv", tmp_path)
    bad = tmp_path / "table.xlsx"
    bad.write_bytes(b"not a table")
    with pytest.raises(UsageError, match="parquet or .csv"):
        prepare_file(bad, tmp_path)
    fake = tmp_path / "fake.parquet"
    fake.write_text("hello")
    with pytest.raises(UsageError, match="could not read"):
        prepare_file(fake, tmp_path)


def test_role_detection_prefers_floats_for_values() -> None:
    table = pa.table({"name": ["a", "b", "a"], "score": [0.5, 0.1, 0.3], "n": [1, 2, 3]})
    roles = detect_roles(table)
    assert roles["value"] == "score" and roles["value2"] == "n" and roles["text"] == "name"
    assert roles["time"] is None
