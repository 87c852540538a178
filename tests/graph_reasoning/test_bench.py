"""`gpulab bench graph-reasoning`: smoke writes the report from a real run; full needs a GPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpulab.benchmarks import run_benchmark
from gpulab.benchmarks.graph_reasoning import run
from gpulab.errors import UsageError


def test_smoke_report(tmp_path: Path) -> None:
    report = run_benchmark("graph-reasoning", "smoke", tmp_path)
    assert Path(report["path"]).parent == tmp_path and Path(report["path"]).exists()
    details = report["details"]
    assert set(details["per_domain"]) == {"causal", "planning", "knowledge_graph"}
    for row in details["per_domain"].values():
        assert 0.0 <= row["ours"] <= 1.0 and row["best_baseline"] in {
            "flat-rgcn",
            "bag-of-relations-mlp",
        }
    assert list(details["config"]["seeds"]) == [0]
    throughput = details["throughput"]
    assert [row["batch"] for row in throughput["by_batch"]] == [32]
    assert throughput["cpu_graphs_per_s"] == throughput["by_batch"][0]["cpu_graphs_per_s"] > 0
    assert report["ratio"] is None and "smoke" in report["no_ratio_because"]
    assert len(details["cross_domain"]) == 9


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without a GPU")
def test_full_refuses_without_a_gpu() -> None:
    with pytest.raises(UsageError, match="CUDA GPU"):
        run("full")
