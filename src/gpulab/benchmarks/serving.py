"""Triton serving: ResNet-50's highest throughput at p99 <= 50 ms, dynamic batching vs off.

One PyTriton server (tritonserver 2.51, its own venv with numpy 1.26) serves ResNet-50 twice,
with Triton's dynamic batcher and without it (each request executed alone), and the same
gRPC asyncio client load-tests both in a closed loop at each concurrency of the config. The
metric is the highest throughput (requests/s, one image each) among the error-free levels
whose p99 latency is within 50 ms; the peer is the same model served without batching, the
setting a user gets by default from a plain model server. Full: bf16 ResNet-50 (random
weights) on the first CUDA GPU, concurrency 1..64. Smoke: a narrow ResNet-50 on the CPU, the
same code path, a CPU-vs-CPU comparison. `details` hold every level, the served-vs-direct
check, the server's start time and the config.
"""

from __future__ import annotations

from gpulab.bench import BenchResult
from gpulab.benchmarks import require_cuda_for_full
from gpulab.progress import printed_progress
from gpulab.workloads.serving import RESNET, ServingConfig, ensure_env, run_suite


def config_for(profile: str) -> ServingConfig:
    """The benchmark's settings; full needs a CUDA GPU."""
    config = ServingConfig.bench_for_profile(profile)
    require_cuda_for_full(profile, "serving", "serves bf16 ResNet-50 on a CUDA GPU")
    return config


def run(profile: str) -> BenchResult:
    config = config_for(profile)
    env = ensure_env(progress=printed_progress())
    result = run_suite(config, env, progress=printed_progress(), faults=False)
    on, off = result.best(RESNET, True), result.best(RESNET, False)
    check = result.checks[0]
    no_ratio = ""
    if on is None or off is None:
        no_ratio = f"a variant has no level with p99 <= {config.p99_limit_ms:g} ms"
    elif not check.passed:
        no_ratio = f"served outputs differ from the direct forward pass: {check.to_dict()}"
    elif config.device == "cpu":
        no_ratio = "CPU run: batching on vs off on a CPU, not the GPU the benchmark is about"
    return BenchResult(
        metric=f"ResNet-50 requests/s at p99 <= {config.p99_limit_ms:g} ms",
        ours=on.throughput_rps if on else 0.0,
        peer_name="the same Triton server without dynamic batching",
        peer_value=off.throughput_rps if off else 0.0,
        unit="req/s",
        higher_is_better=True,
        details={
            "device": config.device,
            "dtype": config.dtype,
            "batched_best": on.to_dict() if on else None,
            "unbatched_best": off.to_dict() if off else None,
            "gain": result.gain(RESNET),
            "check": check.to_dict(),
            "server_ready_s": result.ready_s,
            "server_gone_after": result.server_gone,
            "server_notes": result.server_notes,
            "gpu": result.gpu,
            "rows": [r.to_dict() for r in result.rows],
            "config": config.to_dict(),
        },
        no_ratio_because=no_ratio,
    )
