"""What the notebook shows: every time with its spread and a noise flag beside it, one format for
a ratio wherever it appears, no success message about zero results, no GPU claim from a CPU."""

from __future__ import annotations

from pathlib import Path

from gpulab.timing import Timing
from gpulab.workloads.dataframes import (
    Columns,
    Dataset,
    EngineReport,
    EngineStatus,
    EqualityReport,
    OpRecord,
    SuiteConfig,
    SuiteResult,
    check_verdict,
    cpu_only_note,
    format_ratio,
    result_notes,
    result_table,
)

CLEAN = [0.010, 0.011, 0.012]
NOISY = [0.010, 0.010, 0.010, 0.010, 0.050]


def _record(engine: str, op: str, samples: list[float], equal: bool | None = True) -> OpRecord:
    record = OpRecord(engine, op, timing=Timing(samples, "perf_counter", 1))
    if equal is not None:
        record.equality = EqualityReport(equal, "equal" if equal else "2 rows differ")
    return record


def _result(engines: dict[str, dict[str, OpRecord]], rows: int = 10_000) -> SuiteResult:
    dataset = Dataset(Path("f.parquet"), Path("d.parquet"), rows, Columns(), "synthetic", 50.0)
    config = SuiteConfig(
        operations=("filter", "sort"), engines=tuple(engines), sizes=(rows,), min_time_s=0.0
    )
    reports = {
        name: EngineReport(name, EngineStatus(name, True), records)
        for name, records in engines.items()
    }
    return SuiteResult(dataset, config, reports)


def _cpu_run() -> SuiteResult:
    return _result(
        {
            "pandas": {
                "filter": _record("pandas", "filter", CLEAN, None),
                "sort": _record("pandas", "sort", NOISY, None),
            },
            "polars": {
                "filter": _record("polars", "filter", [0.004, 0.005, 0.006]),
                "sort": _record("polars", "sort", CLEAN),
            },
        }
    )


def test_each_time_has_its_spread_and_a_noisy_one_is_flagged_beside_it() -> None:
    rows = {(r["engine"], r["operation"]): r for r in result_table([_cpu_run()])}
    clean, noisy = rows[("pandas", "filter")], rows[("pandas", "sort")]
    assert clean["median"] == "11 ms" and clean["p10–p90"] == "10.2 ms–11.8 ms"
    assert clean["runs"] == 3 and clean["noise"] == ""
    assert noisy["noise"].startswith("noisy: p99") and "4.8x the median" in noisy["noise"]
    assert list(clean)[:7] == ["rows", "operation", "engine", "median", "p10–p90", "runs", "noise"]
    assert "to host" not in clean  # no GPU result was copied back: no empty column


def test_a_ratio_reads_the_same_in_the_table_and_in_the_summary() -> None:
    run = _cpu_run()
    rows = {(r["engine"], r["operation"]): r for r in result_table([run])}
    best = run.best("filter")
    assert best is not None and best[0] == "polars"
    assert rows[("polars", "filter")]["vs pandas"] == format_ratio(best[1]) == "2.20×"
    assert rows[("pandas", "filter")]["vs pandas"] == ""  # the reference has no ratio
    assert rows[("pandas", "filter")]["check"] == "reference"


def test_a_mismatch_gets_no_ratio() -> None:
    run = _cpu_run()
    run.engines["polars"].records["sort"] = _record("polars", "sort", CLEAN, equal=False)
    rows = {(r["engine"], r["operation"]): r for r in result_table([run])}
    assert rows[("polars", "sort")]["vs pandas"] == "" and rows[("polars", "sort")]["check"] == (
        "MISMATCH"
    )
    assert check_verdict([run]) == ("danger", "1 of 2 checked results differ from pandas.")


def test_no_success_message_about_zero_results() -> None:
    assert check_verdict([]) is None
    only_pandas = _result({"pandas": {"filter": _record("pandas", "filter", CLEAN, None)}})
    kind, text = check_verdict([only_pandas])
    assert kind == "info" and "No result was compared with pandas" in text
    assert "All 0" not in text
    assert check_verdict([_cpu_run()]) == ("success", "All 2 checked results match pandas.")


def test_cpu_engines_alone_are_never_called_a_gpu_speedup() -> None:
    run = _cpu_run()
    assert not run.gpu_ran()
    assert "none of them is a GPU speedup" in cpu_only_note([run])
    gpu = _result(
        {
            "pandas": {"filter": _record("pandas", "filter", CLEAN, None)},
            "cudf.pandas": {"filter": _record("cudf.pandas", "filter", [0.001] * 3)},
        }
    )
    assert gpu.gpu_ran() and cpu_only_note([gpu]) == ""


def test_a_copy_back_from_the_gpu_gets_its_column_and_an_untimed_one_a_note() -> None:
    timed = _record("cudf.pandas", "filter", [0.001] * 3)
    timed.to_host = Timing([2e-5] * 3, "perf_counter", 1)
    untimed = _record("cudf.pandas", "sort", [0.001] * 3)
    untimed.to_host_note = "already in host memory (e.g. the op ran on the CPU): nothing to copy"
    run = _result(
        {
            "pandas": {
                "filter": _record("pandas", "filter", CLEAN, None),
                "sort": _record("pandas", "sort", CLEAN, None),
            },
            "cudf.pandas": {"filter": timed, "sort": untimed},
        }
    )
    rows = {(r["engine"], r["operation"]): r for r in result_table([run])}
    assert rows[("cudf.pandas", "filter")]["to host"] == "20 µs"
    assert rows[("cudf.pandas", "sort")]["to host"] == ""
    (note,) = result_notes([run])
    assert "**cudf.pandas** `sort`: to host not timed, already in host memory" in note
