"""`gpulab bench distributed --profile smoke`: the contract's JSON from a real gloo run."""

from __future__ import annotations

from pathlib import Path

from gpulab.benchmarks import run_benchmark


def test_bench_smoke_reports_every_world_size(tmp_path: Path) -> None:
    report = run_benchmark("distributed", "smoke", tmp_path)
    details = report["details"]
    assert report["ratio"] is None and "CPU with CPU" in report["no_ratio_because"]
    assert details["world_sizes"] == [1, 2]
    assert set(details["efficiency"]) == {"single@1", "ddp@1", "fsdp2@1", "ddp@2", "fsdp2@2"}
    assert all(row["agrees"] for row in details["agreement"])
    assert (
        details["probes"]["1"]["ran"] is False
        and "world size 1" in details["probes"]["1"]["reason"]
    )
    assert details["probes"]["2"]["bus_gb_per_s"] > 0
    assert list(details["config"]["world_sizes"]) == [1, 2]
    assert (tmp_path / "distributed.json").exists()
