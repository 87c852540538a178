"""Graph reasoning: hierarchical R-GCN test accuracy vs the best baseline (flat R-GCN, bag MLP), 3 domains.

Runs `gpulab.workloads.graph_reasoning.run_suite` with `ReasoningConfig.for_profile`: the three
generated domains (causal, planning, knowledge graph), each model trained from every seed with
fresh checkpoints in a temporary folder, the best-validation epoch tested. The metric is the
mean over domains of the hierarchical model's test accuracy (mean over seeds); the peer is the
mean over domains of the best baseline's, chosen per domain. `details["per_domain"]` has each
domain's means, 95 % intervals, ratio and whether the intervals separate;
`details["throughput"]` the training graphs/s of one step of the hierarchical model on batches of
1024, 4096 and 16384 causal graphs, warm, on the GPU (CUDA events) and on the CPU (the better of
one thread and all of them, up to the batch where it stops getting faster); `gpu_over_cpu`
compares each device at its best batch.
Smoke: one seed, 60 graphs per domain, 3 epochs on the CPU: no ratio (it proves the path only).
"""

from __future__ import annotations

import tempfile

from gpulab import profiles
from gpulab.bench import BenchResult
from gpulab.benchmarks import require_cuda_for_full
from gpulab.progress import printed_progress
from gpulab.workloads.graph_reasoning import ReasoningConfig, device_comparison, run_suite


def run(profile: str) -> BenchResult:
    profile = profiles.check(profile)
    require_cuda_for_full(profile, "graph-reasoning", "trains 27 runs on a CUDA GPU")
    with tempfile.TemporaryDirectory(prefix="gpulab-graph-reasoning-bench-") as folder:
        config = ReasoningConfig.for_profile(profile).with_changes(checkpoint_dir=folder)
        result = run_suite(config, progress=printed_progress(every_s=10), resume=False)
    from gpulab.workloads.graph_reasoning.data import build_domain

    graphs = build_domain(config.domains[0], config.graphs_per_domain).train
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
        "throughput": device_comparison(config, graphs, printed_progress()),
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
