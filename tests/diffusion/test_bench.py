"""`gpulab bench diffusion`: the smoke profile writes the contract's JSON from a real ladder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpulab.benchmarks import available, run_benchmark
from gpulab.errors import UsageError

# The keys `gpulab.bench.measure` writes for every benchmark.
CONTRACT = {"benchmark", "device", "metric", "unit", "higher_is_better", "ours", "peer"}
CONTRACT |= {"ratio", "profile", "created", "seconds", "details", "telemetry", "system"}


def test_bench_diffusion_smoke_writes_the_report(tmp_path: Path) -> None:
    report = run_benchmark("diffusion", "smoke", tmp_path)
    assert set(report) >= CONTRACT and (tmp_path / "diffusion.json").exists()
    assert report["metric"] == "seconds per image (median)" and report["unit"] == "s"
    assert report["higher_is_better"] is False
    assert report["ratio"] is None and "CPU" in report["no_ratio_because"]
    details = report["details"]
    best = details["best_lossless"]
    assert report["ours"] == best["s_per_image"] > 0
    assert report["peer"]["value"] == details["rungs"][0]["s_per_image"] > 0
    assert report["peer"]["name"] == "diffusers default float32 pipeline (SDPA)"
    assert details["best_lossy"]["rung"] in {"deepcache", "fewer_steps", "tiny_vae"}
    assert details["seed_check"]["max_abs_diff"] == 0.0
    assert details["throughput"]["default"]["batch"] == 2
    assert details["config"]["model"] == "tiny" and details["config"]["steps"] == 4
    assert all(r["drift"] is not None for r in details["rungs"] if r["status"] == "ok")


def test_bench_is_registered_with_its_description() -> None:
    assert available()["diffusion"].startswith("Stable Diffusion 1.5 text-to-image")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is visible: full would run")
def test_full_profile_refuses_without_a_gpu() -> None:
    from gpulab.benchmarks.diffusion import config_for

    with pytest.raises(UsageError, match="torch sees none"):
        config_for("full")
