"""Distributed training: DDP and FSDP2 samples/s at every world size present vs one device.

Runs `gpulab.workloads.distributed.run_suite` with `TrainConfig.bench_for_profile`: a GPT-style
byte-level model (full: 12 layers x 768, 1024 tokens, global batch 32, bf16) trained by each
strategy from the same seed on the same batches, launched by torchrun at world sizes
1, 2, 4, ... up to torch.cuda.device_count() and the count itself (smoke: 1 and 2 gloo processes on the CPU). ours = DDP's samples/s
at the largest world size, peer = the single-device run (no wrapper), the ratio their speed-up.
`details` holds per run the samples/s with spread, the scaling efficiency throughput(N) /
(N x throughput(1)), peak memory per rank, the loss agreement with the single-device run, the
all-reduce probe's bus bandwidth per world size (skipped at world size 1 with its reason) and
the config.
"""

from __future__ import annotations

from dataclasses import replace

from gpulab import profiles
from gpulab.bench import BenchResult
from gpulab.benchmarks import require_cuda_for_full
from gpulab.progress import printed_progress
from gpulab.workloads.distributed import DDP, SINGLE, TrainConfig, max_world, run_suite


def config_for(profile: str) -> TrainConfig:
    """The benchmark's settings at world sizes 1..N; full needs CUDA GPUs, smoke the CPU."""
    smoke = profiles.check(profile) == profiles.SMOKE
    config = replace(TrainConfig.bench_for_profile(profile), device="cpu" if smoke else "cuda")
    require_cuda_for_full(profile, "distributed", "trains on CUDA GPUs")
    top = 2 if smoke else max_world(config)
    # powers of two up to the device count, and the count itself: one torchrun launch each
    worlds = sorted({2**k for k in range(top.bit_length()) if 2**k <= top} | {top})
    return replace(config, world_sizes=tuple(worlds))


def run(profile: str) -> BenchResult:
    config = config_for(profile)
    result = run_suite(config, progress=printed_progress()).to_dict()
    top = max(config.world_sizes)
    ours = next(r for r in result["scaling"] if r["strategy"] == DDP and r["world"] == top)
    peer = next(r for r in result["scaling"] if r["strategy"] == SINGLE)
    no_ratio = ""
    if result["device"] == "cpu":
        no_ratio = (
            "CPU gloo processes sharing this machine's cores: the timings compare CPU with CPU "
            "and say nothing about GPU scaling"
        )
    elif not all(row["agrees"] for row in result["agreement"]):
        no_ratio = "a strategy's losses disagree with the single-device run beyond tolerance"
    return BenchResult(
        metric=f"training samples/s, DDP at world size {top} (median step)",
        ours=ours["samples_per_s"],
        peer_name="single device, no wrapper (world size 1)",
        peer_value=peer["samples_per_s"],
        unit="samples/s",
        higher_is_better=True,
        details={
            "device": result["device"],
            "world_sizes": list(config.world_sizes),
            "scaling": result["scaling"],
            "efficiency": {
                f"{r['strategy']}@{r['world']}": r["efficiency"] for r in result["scaling"]
            },
            "agreement": result["agreement"],
            "probes": result["probes"],
            "notes": result["notes"],
            "runs": result["runs"],
            "method": "rank 0's step time (perf_counter after synchronize), warm-up steps dropped",
            "config": config.to_dict(),
        },
        no_ratio_because=no_ratio,
    )
