"""`gpulab bench graph-reasoning`: smoke writes the report from a real run; full needs a GPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpulab.benchmarks import run_benchmark
from gpulab.benchmarks.graph_reasoning import run
from gpulab.errors import UsageError
from gpulab.workloads.graph_reasoning import ReasoningConfig, device_comparison
from gpulab.workloads.graph_reasoning.data import build_domain
from gpulab.workloads.graph_reasoning.throughput import stopped_gaining


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


def test_the_cpu_sweep_stops_once_a_bigger_batch_gains_under_5_percent() -> None:
    assert not stopped_gaining([], 100.0)
    assert not stopped_gaining([100.0], 106.0)
    assert stopped_gaining([100.0], 104.0)
    assert stopped_gaining([100.0, 120.0], 110.0)


def test_device_comparison_times_the_cpu_until_it_saturates() -> None:
    config = ReasoningConfig.for_profile("smoke").with_changes(
        throughput_batches=(8, 16, 32), cpu_throughput_batches=1
    )
    graphs = build_domain("causal", 40).train
    notes: list[str] = []
    out = device_comparison(config, graphs, lambda done, total, note: notes.append(note))
    rows = out["by_batch"]
    assert [r["batch"] for r in rows] == [8, 16, 32] and "cpu_graphs_per_s" in rows[0]
    timed: list[float] = []
    for row in rows:
        if "cpu_skipped" in row:
            assert stopped_gaining(timed[:-1], timed[-1]) and "cpu_graphs_per_s" not in row
        else:
            timed.append(row["cpu_graphs_per_s"])
    assert out["cpu_graphs_per_s"] == max(timed) and out["cpu_threads"] in {
        1,
        torch.get_num_threads(),
    }
    assert any(note.startswith("batch 8: CPU") for note in notes)
