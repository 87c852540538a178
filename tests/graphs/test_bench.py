"""`gpulab bench graphs`: the smoke profile writes the contract's JSON from the real run; the full
profile refuses without a CUDA GPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gpulab.benchmarks import available
from gpulab.errors import UsageError

CONTRACT = {
    "benchmark",
    "device",
    "metric",
    "unit",
    "higher_is_better",
    "ours",
    "peer",
    "ratio",
    "profile",
    "created",
    "seconds",
    "details",
    "telemetry",
    "system",
}


def test_bench_graphs_smoke_writes_the_report(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "gpulab.cli", "bench", "graphs", "--profile", "smoke"]
    done = subprocess.run([*command, "--out", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "graphs.json").read_text())
    assert set(report) >= CONTRACT
    assert report["benchmark"] == "graphs" and report["profile"] == "smoke"
    assert report["metric"] == "PageRank seconds (median)" and report["unit"] == "s"
    assert report["higher_is_better"] is False
    details = report["details"]
    assert report["ours"] == details["ours"]["median_s"] > 0
    assert report["peer"]["value"] == details["networkx"]["median_s"] > 0
    assert report["ratio"] == pytest.approx(report["peer"]["value"] / report["ours"])
    assert details["graph"]["edges"] == 10**4 and details["graph"]["scale"] == 9
    assert details["check"]["status"] == "passed"
    assert 0 <= details["max_abs_diff"] <= 1e-6
    assert details["iterations"] > 1 and details["dtype"] == "float64"
    conversion = details["conversion"]
    assert conversion["edge_list_to_device_csr_s"] > 0 and conversion["csr_to_networkx_graph_s"] > 0
    large = details["large"]
    assert large["graph"]["edges"] == 10**5 and large["median_s"] > 0 and large["iterations"] > 1
    assert large["networkx"].startswith("networkx skipped")
    cugraph = details["nx_cugraph"]
    assert cugraph["ran"] or cugraph["reason"] == "not installed — unverified"
    assert details["config"]["algorithms"] == ["pagerank"]
    assert details["config"]["device"] == "cpu"
    strict = details["strict_tolerance"]
    assert strict["tol"] == pytest.approx(1e-6 / 2**9)
    assert strict["iterations"] > details["iterations"] and strict["check"]["status"] == "passed"
    assert strict["ratio"] == pytest.approx(strict["networkx_s"] / strict["ours_s"])
    large_strict = details["large_strict_tolerance"]
    assert large_strict["tol"] == pytest.approx(1e-6 / 2**13)
    assert large_strict["iterations"] > large["iterations"] and large_strict["median_s"] > 0
    assert f"graphs on {report['device']}: PageRank seconds (median)" in done.stdout


def test_bench_is_registered_with_its_description() -> None:
    assert available()["graphs"].startswith("Graph analytics: PageRank on an R-MAT graph")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is visible: full would run")
def test_full_profile_refuses_without_a_gpu() -> None:
    from gpulab.benchmarks.graphs import config_for

    with pytest.raises(UsageError, match="needs a CUDA GPU|torch sees none"):
        config_for("full")
    assert config_for("smoke").device == "cpu"
