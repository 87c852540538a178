from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gpulab.deps import is_available
from gpulab.telemetry import Sample
from gpulab.workloads import dataframes as df
from gpulab.workloads.dataframes import (
    OPERATIONS,
    Dataset,
    SuiteConfig,
    WorkerError,
    engine_status,
    run_engine_in_worker,
    run_suite,
    telemetry_by_op,
)

from .conftest import FAST

no_cudf = pytest.mark.skipif(is_available("cudf"), reason="cuDF is installed here")


def test_cpu_engines_run_every_operation_and_match_pandas(
    small_dataset: Dataset, workdir: Path
) -> None:
    result = run_suite(small_dataset, FAST, workdir)
    for engine in ("pandas-arrow", "polars"):
        for op in OPERATIONS:
            record = result.record(engine, op)
            assert record.ok, (engine, op, record.error)
            assert record.equal is True, (engine, op, record.equality)
            assert record.timing.repeats >= 3 and record.timing.warmup == 1
    assert set(result.speedups("groupby")) == {"pandas-arrow", "polars"}
    assert result.headline() > 0
    assert result.record("pandas", "join").result_rows < small_dataset.rows  # 1 key in 10 dropped


@no_cudf
def test_without_cudf_the_gpu_engines_show_install_hints_and_cpu_engines_still_run(
    small_dataset: Dataset, workdir: Path
) -> None:
    status = engine_status("cudf.pandas")
    assert not status.available and "cuDF is not installed" in status.reason
    assert status.hint.startswith("pip install cudf-cu")
    assert status.error().hint == status.hint  # the toolkit's MissingDependencyError, for callouts
    config = replace(FAST, engines=("pandas", "polars", "cudf.pandas", "polars-gpu"))
    config = replace(config, operations=("filter", "groupby"))
    result = run_suite(small_dataset, config, workdir)
    missing = result.missing()
    assert set(missing) == {"cudf.pandas", "polars-gpu"}
    assert missing["polars-gpu"]["hint"].startswith("pip install cudf-polars-cu")
    assert result.record("polars", "groupby").equal is True
    assert result.best("groupby")[0] == "polars"


def test_more_repeats_are_taken_for_fast_operations(small_dataset: Dataset, workdir: Path) -> None:
    config = SuiteConfig(
        engines=("pandas",), operations=("filter",), repeats=3, min_time_s=0.05, max_repeats=15
    )
    record = run_suite(small_dataset, config, workdir).record("pandas", "filter")
    assert 3 < record.timing.repeats <= 15  # a sub-millisecond filter gets topped up


def test_a_worker_process_runs_an_engine_and_returns_its_results(
    small_dataset: Dataset, workdir: Path
) -> None:
    got = []
    config = replace(FAST, operations=("groupby", "write_parquet"))
    info = run_engine_in_worker(
        "polars", small_dataset, config, lambda r, res: got.append((r, res)), workdir
    )
    assert info["polars"] and info["setup_s"] > 0
    (groupby, groupby_path), (write, write_path) = got
    assert groupby.op == "groupby" and groupby.timing.repeats >= 3
    assert groupby_path.suffix == ".parquet" and groupby.result_rows > 0
    assert write_path.exists() and write.result_rows == small_dataset.rows


@no_cudf
def test_a_failing_worker_reports_why(small_dataset: Dataset, workdir: Path) -> None:
    with pytest.raises(WorkerError, match="No module named 'cudf'"):
        run_engine_in_worker("cudf.pandas", small_dataset, FAST, lambda r, res: None, workdir)


def test_importing_the_workload_does_not_import_pandas() -> None:
    # cudf.pandas.install() must run before pandas is first imported in the worker.
    code = "import sys, gpulab.workloads.dataframes; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_the_workload_imports_no_dataframe_library() -> None:
    # A notebook's first cell imports the package: the libraries load inside the functions.
    code = (
        "import sys, gpulab.workloads.dataframes; "
        "print(sorted(m for m in ('pandas', 'polars', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_telemetry_samples_are_tagged_with_the_operation_they_fell_in(
    small_dataset: Dataset, workdir: Path
) -> None:
    config = replace(FAST, engines=("pandas",), operations=("filter", "sort"))
    result = run_suite(small_dataset, config, workdir)
    sort = result.record("pandas", "sort")
    inside = Sample(
        t=(sort.started + sort.ended) / 2,
        gpu=0,
        utilization_pct=87.0,
        memory_utilization_pct=10.0,
        memory_used_mib=1000.0,
        memory_total_mib=80000.0,
        temperature_c=40.0,
        power_w=300.0,
        sm_clock_mhz=1980.0,
    )
    outside = replace(inside, t=sort.ended + 100.0)
    rows = telemetry_by_op([inside, outside], result)
    assert [(r["engine"], r["op"], r["utilization_pct"]) for r in rows] == [
        ("pandas", "sort", 87.0)
    ]
    windows = df.op_windows(result)
    assert {w["op"] for w in windows} == {"filter", "sort"}
    assert (
        df.telemetry_summary_by_op([inside], result)["pandas"]["sort"]["utilization_max_pct"]
        == 87.0
    )


def test_bad_configs_are_usage_errors() -> None:
    from gpulab.errors import UsageError

    with pytest.raises(UsageError, match="unknown operation"):
        SuiteConfig(operations=("pivot",))
    with pytest.raises(UsageError, match="unknown engine"):
        SuiteConfig(engines=("dask",))
    with pytest.raises(UsageError, match="3 timed repeats"):
        SuiteConfig(repeats=1)
