"""`gpulab bench protein --profile smoke` writes the contract's JSON from a real run."""

from __future__ import annotations

from pathlib import Path

from gpulab.benchmarks import available, run_benchmark


def test_bench_protein_smoke(tmp_path: Path) -> None:
    assert "protein" in available()
    report = run_benchmark("protein", "smoke", tmp_path)
    assert (tmp_path / "protein.json").exists()
    assert report["ratio"] is None and "CPU" in report["no_ratio_because"]
    details = report["details"]
    assert details["config"]["ensemble"] == 64
    assert details["max_abs_diff_angstrom"] < 1e-4
    assert [row["length"] for row in details["esmfold"]["rows"]] == [16, 32]
    assert details["esmfold"]["arch"] == "tiny"
    assert report["ours"] > 0 and report["peer"]["value"] > 0
