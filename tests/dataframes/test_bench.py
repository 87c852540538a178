from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpulab.benchmarks import run_benchmark
from gpulab.workloads.dataframes import figures


def test_bench_reports_per_operation_ratios_and_missing_engines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPULAB_DATAFRAMES_ENGINES", "pandas,polars,cudf.pandas")
    report = run_benchmark("dataframes", profile="smoke", out_dir=tmp_path)
    written = json.loads((tmp_path / "dataframes.json").read_text())
    details = written["details"]
    assert details["rows"] == 10**4
    # the config that ran: the benchmark's smoke settings, engines narrowed by the variable
    assert details["config"]["sizes"] == [10**4] and details["config"]["min_time_s"] == 0.02
    assert details["config"]["engines"] == ["pandas", "polars", "cudf.pandas"]
    groupby = details["operations"]["groupby"]
    pandas_s = groupby["engines"]["pandas"]["median_s"]
    best = groupby["best_engine"]
    assert best in {"polars", "cudf.pandas"}
    best_s = groupby["engines"][best]["median_s"]
    assert groupby["ratio_best"] == pytest.approx(pandas_s / best_s)
    # the headline ratio is the geometric mean of the per-operation ratios
    ratios = [op["ratio_best"] for op in details["operations"].values() if op["ratio_best"]]
    geomean = 1.0
    for r in ratios:
        geomean *= r ** (1 / len(ratios))
    if details["engines"]["cudf.pandas"]["ran"]:
        assert report["ratio"] == pytest.approx(geomean, rel=1e-9)
    else:  # polars vs pandas on one CPU is no GPU ratio: withheld, with the reason
        assert report["ratio"] is None
        assert report["no_ratio_because"].startswith("no GPU engine ran here")
        assert "cudf.pandas (GPU): cuDF is not installed" in report["no_ratio_because"]
    assert details["equality"]["checked"] > 0 and details["equality"]["mismatches"] == []
    engines = details["engines"]
    if not engines["cudf.pandas"]["ran"]:
        assert "cudf.pandas" in details["missing_engines"]
        assert engines["cudf.pandas"]["hint"].startswith("pip install cudf-cu")
        assert details["cudf_pandas_vs_pandas"]["ran"] is False
    # the device script prints the written report with this; every op has a line
    text = figures(written)
    assert all(f"\n{op:14}" in text for op in details["operations"])
