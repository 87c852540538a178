"""`gpulab bench gpu --profile smoke` on a CPU: a complete report, GPU-only parts explained, and no
GPU-vs-CPU ratio where both sides ran on the CPU."""

from __future__ import annotations

import json

from gpulab.benchmarks import available, run_benchmark


def test_gpu_benchmark_is_registered():
    assert "gpu" in available()


def test_smoke_report_on_cpu_has_headline_peer_and_details(tmp_path):
    report = run_benchmark("gpu", "smoke", tmp_path)
    stored = json.loads((tmp_path / "gpu.json").read_text())
    assert (
        stored["metric"]
        == report["metric"]
        == ("fp32 matmul TFLOPS, burst at 128^3 (sustained in details)")
    )
    assert stored["ours"] > 0 and stored["peer"]["value"] > 0
    assert stored["peer"]["name"].startswith("CPU torch matmul fp32")
    details = stored["details"]
    assert details["headline"]["dtype"] == "fp32"
    assert details["headline"]["burst_tflops"] == stored["ours"]
    assert details["headline"]["sustained_tflops"] > 0
    assert details["cpu_matmul"]["tflops"] == stored["peer"]["value"]
    assert details["copy"]["gbs"] > 0
    assert all("CUDA GPU" in t["skipped"] for t in details["transfers"].values())
    tests = {r.get("label") or f"matmul {r.get('dtype')}" for r in details["results"]}
    assert {"matmul bf16", "matmul fp8", "h2d pinned", "d2h pageable"} <= tests


def test_on_a_cpu_the_report_gives_no_ratio_and_says_why(tmp_path):
    # Without a GPU the headline fp32 matmul and the peer both ran on the CPU: a "ratio" of about
    # 1 would compare the CPU with itself.
    report = run_benchmark("gpu", "smoke", tmp_path)
    stored = json.loads((tmp_path / "gpu.json").read_text())
    assert report["ratio"] is None and stored["ratio"] is None
    assert "compare the CPU with itself" in stored["no_ratio_because"]
    headline = stored["details"]["sweep_best"]
    low, high = headline["tflops_p90_p10"]
    assert low <= headline["tflops"] <= high  # the median with its spread
