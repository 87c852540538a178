"""Graph reasoning: hierarchical R-GCN test accuracy vs the best baseline (flat R-GCN, bag MLP), 3 domains.

Runs `gpulab.workloads.graph_reasoning.run_suite` with `ReasoningConfig.for_profile`: the three
generated domains (causal, planning, knowledge graph), each model trained from every seed with
fresh checkpoints in a temporary folder, the best-validation epoch tested. The metric is the
mean over domains of the hierarchical model's test accuracy (mean over seeds); the peer is the
mean over domains of the best baseline's, chosen per domain. `details["per_domain"]` has each
domain's means, 95 % intervals, ratio and whether the intervals separate;
`details["throughput"]` the training graphs/s of one step on a batch of 1024 causal graphs on the
GPU (CUDA events) and on the CPU (the better of one thread and all of them), warm.
Smoke: one seed, 60 graphs per domain, 3 epochs on the CPU: no ratio (it proves the path only).
"""

from __future__ import annotations

import tempfile
from typing import Any

from gpulab import profiles
from gpulab.bench import BenchResult
from gpulab.benchmarks import require_cuda_for_full
from gpulab.workloads.graph_reasoning import (
    HIERARCHICAL,
    ReasoningConfig,
    run_suite,
    train_throughput,
)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _throughput(config: ReasoningConfig, graphs: list[Any]) -> dict[str, Any]:
    import torch

    from gpulab.workloads.graph_reasoning.suite import cpu_threads

    batches = config.cpu_throughput_batches
    with cpu_threads("cpu"):
        one = train_throughput(HIERARCHICAL, graphs, config, "cpu", batches)
    cpu = one
    if torch.get_num_threads() > 2:  # the CPU at its better thread count (on a big host: many)
        many = train_throughput(HIERARCHICAL, graphs, config, "cpu", batches)
        cpu = max(one, many, key=lambda t: t.throughput)
    out: dict[str, Any] = {
        "cpu_graphs_per_s": cpu.throughput,
        "cpu": cpu.to_dict(),
        "cpu_threads": 1 if cpu is one else torch.get_num_threads(),
    }
    if _cuda():
        gpu = train_throughput(HIERARCHICAL, graphs, config, "cuda", 20)
        out |= {
            "gpu_graphs_per_s": gpu.throughput,
            "gpu": gpu.to_dict(),
            "gpu_over_cpu": gpu.throughput / cpu.throughput,
        }
    else:
        out["gpu_over_cpu"] = None
        out["why_no_gpu"] = "torch sees no CUDA GPU: only the CPU was timed"
    return out


def run(profile: str) -> BenchResult:
    profile = profiles.check(profile)
    require_cuda_for_full(profile, "graph-reasoning", "trains 27 runs on a CUDA GPU")
    with tempfile.TemporaryDirectory(prefix="gpulab-graph-reasoning-bench-") as folder:
        config = ReasoningConfig.for_profile(profile).with_changes(checkpoint_dir=folder)
        result = run_suite(config, resume=False)
    from gpulab.workloads.graph_reasoning.data import build_domain

    graphs = build_domain(config.domains[0], max(2 * config.throughput_batch, 40)).train
    verdicts = result.verdicts()
    ours = sum(v["ours"][0] for v in verdicts) / len(verdicts)
    peer = sum(v["baseline"][0] for v in verdicts) / len(verdicts)
    per_domain = {
        v["domain"]: {
            "ours": v["ours"][0],
            "ours_ci95": v["ours"][1],
            "best_baseline": v["best_baseline"],
            "baseline": v["baseline"][0],
            "baseline_ci95": v["baseline"][1],
            "ratio": v["ratio"],
            "separated": v["separated"],
        }
        for v in verdicts
    }
    details = {
        "config": config.to_dict(),
        "device": result.device,
        "per_domain": per_domain,
        "summary": result.summary(),
        "cross_domain": result.cross_domain,
        "throughput": _throughput(config, graphs),
        "train_seconds": result.seconds,
    }
    why = ""
    if profile == profiles.SMOKE:
        why = (
            "smoke profile: one seed, 60 graphs per domain, 3 epochs on the CPU; the "
            "accuracies prove the code path, not what the models learn"
        )
    return BenchResult(
        metric="mean test accuracy over domains (hierarchical R-GCN)",
        ours=ours,
        peer_name="best baseline per domain (flat R-GCN or bag-of-relations MLP)",
        peer_value=peer,
        unit="accuracy",
        higher_is_better=True,
        details=details,
        no_ratio_because=why,
    )
