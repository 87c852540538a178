"""The knee is the highest-throughput level within the p99 limit; the gain divides the knees."""

from __future__ import annotations

from gpulab.workloads.serving import LoadRow, ServingConfig, SuiteResult, best_under, display


def _row(batching: bool, level: int, rps: float, p99: float, errors: int = 0) -> LoadRow:
    return LoadRow(
        "mlp", batching, "closed", level, 10, 10 - errors, errors, p99 / 2, p99, p99, rps, 1.0
    )


def test_knee_skips_levels_over_the_limit_or_with_errors() -> None:
    rows = [
        _row(True, 1, 100, 5),
        _row(True, 4, 300, 20),
        _row(True, 8, 900, 80),
        _row(True, 16, 950, 10, errors=1),
    ]
    assert best_under(rows, 50).level == 4
    assert best_under(rows, 100).level == 8
    assert best_under(rows, 1) is None


def test_gain_and_chart_mark_the_knees() -> None:
    result = SuiteResult(ServingConfig(models=("mlp",), p99_limit_ms=50))
    result.rows = [
        _row(True, 1, 100, 5),
        _row(True, 8, 400, 30),
        _row(False, 1, 90, 6),
        _row(False, 8, 100, 90),
    ]
    assert result.gain("mlp") == 400 / 90
    (gain,) = display.gains(result)
    assert gain["gain"] == "4.44x" and gain["at concurrency"] == 8
    data = display.chart_rows(result.rows, 50)
    assert display.charts(result.rows, 50) is not None
    assert sorted((d["batcher"], d["concurrency"]) for d in data if d["knee"]) == [
        ("dynamic batching", 8),
        ("no batching", 1),
    ]
