import json
from pathlib import Path

import pytest

from gpulab import benchmarks
from gpulab.bench import BenchResult
from gpulab.benchmarks import register, run_benchmark
from gpulab.errors import UsageError

REQUIRED_KEYS = {"benchmark", "device", "metric", "ours", "peer", "ratio", "created", "details"}


def numpy_vs_python_sum(profile: str) -> BenchResult:
    """Sum a list with numpy vs Python's sum (a real measurement, used to test the contract)."""
    import numpy as np

    from gpulab.timing import benchmark

    values = list(range(10_000 if profile == "smoke" else 1_000_000))
    array = np.array(values)
    ours = benchmark(lambda: array.sum(), repeats=5).median_s
    peer = benchmark(lambda: sum(values), repeats=5).median_s
    return BenchResult(
        "seconds per sum", ours, "python sum", peer, unit="s", higher_is_better=False
    )


@pytest.fixture
def registered() -> str:
    register("test-sum", numpy_vs_python_sum)
    yield "test-sum"
    benchmarks.unregister("test-sum")


def test_report_has_the_contract_fields(registered: str, tmp_path: Path) -> None:
    report = run_benchmark(registered, profile="smoke", out_dir=tmp_path)
    written = json.loads((tmp_path / "test-sum.json").read_text())
    assert written.keys() >= REQUIRED_KEYS
    assert written["peer"]["name"] == "python sum"
    assert written["device"] == report["device"]
    assert written["ratio"] == pytest.approx(written["peer"]["value"] / written["ours"])


def test_ratio_above_one_always_means_ours_is_better() -> None:
    faster_time = BenchResult("s", ours=1.0, peer_name="p", peer_value=4.0, higher_is_better=False)
    higher_rate = BenchResult("tok/s", ours=8.0, peer_name="p", peer_value=2.0)
    worse_rate = BenchResult("tok/s", ours=1.0, peer_name="p", peer_value=2.0)
    assert faster_time.ratio == 4.0 and higher_rate.ratio == 4.0 and worse_rate.ratio == 0.5


def test_unknown_benchmark_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown benchmark 'nope'"):
        run_benchmark("nope")


def test_unknown_profile_is_a_usage_error(registered: str) -> None:
    with pytest.raises(UsageError, match="unknown profile"):
        run_benchmark(registered, profile="huge")


def test_every_registered_benchmark_module_has_run_and_a_description() -> None:
    import importlib

    for name, description in benchmarks.available().items():
        if name == "test-sum":
            continue
        assert description, f"benchmark {name} needs a docstring"
        module = importlib.import_module(f"gpulab.benchmarks.{name.replace('-', '_')}")
        assert benchmarks.resolve(name) is module.run
        assert benchmarks.resolve(name.replace("-", "_")) is module.run  # the module's own name
        assert "_" not in name, "benchmark names use dashes: gpulab bench graph-reasoning"


def test_a_withheld_ratio_is_null_with_its_reason(tmp_path: Path) -> None:
    def cpu_only(profile: str) -> BenchResult:
        """A GPU benchmark's shape on a machine without a GPU."""
        return BenchResult("TFLOPS", 1.0, "cpu", 1.0, no_ratio_because="no CUDA GPU here")

    register("test-withheld", cpu_only)
    try:
        report = run_benchmark("test-withheld", profile="smoke", out_dir=tmp_path)
    finally:
        benchmarks.unregister("test-withheld")
    written = json.loads((tmp_path / "test-withheld.json").read_text())
    assert written["ratio"] is None and report["no_ratio_because"] == "no CUDA GPU here"


def test_by_default_a_bench_run_does_not_write_into_the_committed_reports() -> None:
    assert Path("reports/bench") != benchmarks.DEFAULT_OUT
    assert "reports/bench-local/" in Path(".gitignore").read_text()
