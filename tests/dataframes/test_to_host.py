"""Device → host timing of cudf.pandas results, checked on CPU with a stand-in for the proxy.

cuDF cannot run here. `StandInProxy` copies the part of cudf.pandas 26.x's final proxy
(cudf/pandas/fast_slow_proxy.py) that the timing depends on: it wraps either a "GPU" frame or a
real pandas frame; `as_cpu_object()` converts on every call without touching what it wraps;
`_fsproxy_slow` converts once and keeps the host copy. Everything else is the real code:
`PandasSession.to_host`, `run_engine`, `measure_to_host`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from gpulab.workloads.dataframes import (
    Dataset,
    EngineReport,
    EngineStatus,
    OpRecord,
    PandasSession,
    SuiteConfig,
    describe,
    figures,
    format_seconds,
    measure_to_host,
    run_engine,
    run_suite,
)

from .conftest import FAST


class StandInGpuFrame:
    """Stands in for a cudf.DataFrame: `to_pandas()` is the device → host copy; counts them."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.copies = 0

    def to_pandas(self) -> pd.DataFrame:
        self.copies += 1
        return self.frame.copy()


class StandInProxy:
    """Stands in for a cudf.pandas proxy (see the module docstring)."""

    def __init__(self, wrapped: StandInGpuFrame | pd.DataFrame) -> None:
        self._fsproxy_wrapped = wrapped

    def _fsproxy_fast_to_slow(self) -> pd.DataFrame:
        wrapped = self._fsproxy_wrapped
        return wrapped.to_pandas() if isinstance(wrapped, StandInGpuFrame) else wrapped

    @property
    def _fsproxy_slow(self) -> pd.DataFrame:
        self._fsproxy_wrapped = self._fsproxy_fast_to_slow()  # converts once, then keeps it
        return self._fsproxy_wrapped

    def as_cpu_object(self) -> pd.DataFrame:
        return self._fsproxy_fast_to_slow()


class StandInCudfPandasSession(PandasSession):
    """The cudf.pandas session (accelerated=True) with stand-in proxies as results: ops listed
    in `fallback_ops` "ran on the CPU", so their proxy wraps a host pandas frame."""

    def __init__(self, dataset: Dataset, fallback_ops: tuple[str, ...] = ()) -> None:
        super().__init__(dataset, None, accelerated=True)
        self.fallback_ops = fallback_ops
        self.results: dict[str, Any] = {}

    def run(self, op: str) -> Any:
        result = super().run(op)
        if isinstance(result, Path):
            return result
        frame = result if isinstance(result, pd.DataFrame) else result.to_frame()
        proxy = StandInProxy(frame if op in self.fallback_ops else StandInGpuFrame(frame))
        self.results[op] = proxy
        return proxy

    def sync(self) -> None:  # no CUDA here; the real one calls cudaDeviceSynchronize
        pass

    def profile_fallbacks(self, op: str) -> list[str]:  # the real one uses cuDF's profiler
        return ["Resampler.aggregate"] if op in self.fallback_ops else []

    def info(self) -> dict[str, Any]:
        return {}


def run_stand_in(
    dataset: Dataset, operations: tuple[str, ...], fallback_ops: tuple[str, ...] = ()
) -> tuple[dict[str, OpRecord], StandInCudfPandasSession]:
    session = StandInCudfPandasSession(dataset, fallback_ops)
    records: dict[str, OpRecord] = {}
    config = SuiteConfig(engines=("pandas",), operations=operations, min_time_s=0.0)
    run_engine(
        "cudf.pandas",
        dataset,
        config,
        lambda record, result: records.__setitem__(record.op, record),
        session_factory=lambda engine, data: session,
    )
    return records, session


def test_every_timed_device_to_host_call_makes_a_fresh_copy(small_dataset: Dataset) -> None:
    # The H100 run printed "device->host 0.0 ms" for 10^7-row results: `_fsproxy_slow` copied
    # once (in the warm-up) and kept the copy, so the timed calls copied nothing.
    records, session = run_stand_in(small_dataset, ("groupby", "sort"))
    for op in ("groupby", "sort"):
        to_host = records[op].to_host
        assert to_host is not None, records[op].to_host_note
        gpu_frame = session.results[op]._fsproxy_wrapped
        assert isinstance(gpu_frame, StandInGpuFrame)  # the proxy still holds the GPU frame
        # two untimed checks, the warm-up, then one copy per timed call
        assert gpu_frame.copies == 2 + to_host.warmup + to_host.repeats


def test_a_result_already_in_host_memory_gets_a_reason_not_a_time(
    small_dataset: Dataset,
) -> None:
    records, _ = run_stand_in(small_dataset, ("resample", "write_parquet"), ("resample",))
    resample = records["resample"]
    assert resample.timing is not None and resample.to_host is None
    assert "already in host memory" in resample.to_host_note
    assert records["write_parquet"].to_host is None
    assert "file it wrote" in records["write_parquet"].to_host_note


def test_a_conversion_that_caches_its_copy_is_not_timed() -> None:
    proxy = StandInProxy(StandInGpuFrame(pd.DataFrame({"a": [1, 2, 3]})))
    timing, note = measure_to_host(proxy, lambda p: p._fsproxy_slow, FAST)
    assert timing is None and "already in host memory" in note


def test_a_failing_conversion_keeps_the_op_timing(small_dataset: Dataset) -> None:
    class BrokenProxy(StandInProxy):
        def as_cpu_object(self) -> pd.DataFrame:
            raise RuntimeError("conversion failed")

    class BrokenSession(StandInCudfPandasSession):
        def run(self, op: str) -> Any:
            return BrokenProxy(super().run(op)._fsproxy_wrapped)

    session = BrokenSession(small_dataset)
    records: list[OpRecord] = []
    config = SuiteConfig(engines=("pandas",), operations=("filter",), min_time_s=0.0)
    run_engine(
        "cudf.pandas", small_dataset, config, lambda r, _: records.append(r), lambda e, d: session
    )
    (record,) = records
    assert record.ok and record.to_host is None
    assert record.to_host_note.startswith("not timed: RuntimeError: conversion failed")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(8.2e-6, "8.2 µs"), (4.9e-7, "0.5 µs"), (0.0123, "12.300 ms"), (2.5, "2.500 s"), (None, "-")],
)
def test_durations_print_with_microsecond_resolution(seconds: float | None, text: str) -> None:
    assert format_seconds(seconds) == text


def _report(op_entry: dict[str, Any]) -> dict[str, Any]:
    pandas = {"median_s": 0.28, "ratio_vs_pandas": 1.0, "equal": None}
    return {
        "device": "GPU",
        "ratio": 1.0,
        "details": {
            "rows": 10**7,
            "headline": "h",
            "engines": {
                "pandas": {"ran": True, "info": {}},
                "cudf.pandas": {"ran": True, "info": {}},
            },
            "operations": {
                "resample": {
                    "best_engine": None,
                    "ratio_best": None,
                    "engines": {"pandas": pandas, "cudf.pandas": op_entry},
                }
            },
            "cudf_pandas_vs_pandas": {"ran": False, "ops": {}},
            "equality": {"checked": 1, "mismatches": []},
        },
    }


def test_the_device_log_never_rounds_a_copy_to_zero_and_explains_fallbacks() -> None:
    timed = {"median_s": 0.004, "ratio_vs_pandas": 70.0, "equal": True, "to_host_median_s": 8e-6}
    assert "device->host 8.0 µs" in figures(_report(timed))
    fallback = {
        "median_s": 1.026,
        "ratio_vs_pandas": 0.27,
        "equal": True,
        "to_host_median_s": None,
        "to_host_note": "already in host memory (e.g. the op ran on the CPU): nothing to copy",
        "cpu_fallbacks": ["Resampler.aggregate"],
        "note": "ran on the CPU: cuDF could not run Resampler.aggregate on the GPU, ...",
    }
    text = figures(_report(fallback))
    assert "device->host not timed: already in host memory" in text
    assert "resample: 1.026 s, ran on the CPU: cuDF could not run Resampler.aggregate" in text


def test_a_cpu_fallback_is_explained_in_words_next_to_its_time(
    small_dataset: Dataset, workdir: Path
) -> None:
    # H100: cudf.pandas resample took 1026 ms vs pandas' 277 ms because Resampler.aggregate
    # ran on the CPU. The notebook and the bench must say so beside the number.
    config = replace(FAST, engines=("pandas",), operations=("groupby", "resample"))
    result = run_suite(small_dataset, config, workdir)
    records, _ = run_stand_in(small_dataset, ("groupby", "resample"), ("resample",))
    result.engines["cudf.pandas"] = EngineReport(
        "cudf.pandas", EngineStatus("cudf.pandas", True), records
    )
    summary = result.fallback_summary("resample")
    # the time with its spread, as every view of it shows it
    assert summary.startswith(records["resample"].timing.spread())
    assert "pandas' speed): ran on the CPU: cuDF could not run Resampler.aggregate" in summary
    assert result.fallback_summary("groupby") is None
    notes = {(r["engine"], r["op"]): r["note"] for r in result.rows()}
    assert "Resampler.aggregate" in notes[("cudf.pandas", "resample")]
    assert notes[("cudf.pandas", "groupby")] is None and notes[("pandas", "resample")] is None
    bench_entry = describe(result)["operations"]["resample"]["engines"]["cudf.pandas"]
    assert bench_entry["note"] == notes[("cudf.pandas", "resample")]
    assert bench_entry["median_s"] == records["resample"].timing.median_s
