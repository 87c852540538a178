"""Stable Diffusion 1.5 text-to-image: best lossless rung vs the diffusers default fp16 pipeline, s/image.

Runs `gpulab.workloads.diffusion.run_ladder` with `DiffusionConfig.bench_for_profile`: SD 1.5's
architecture built from its configs (random weights: speed only), 512 x 512, 50 PNDM steps,
guidance 7.5, batch 1, on the first CUDA GPU. Every rung is timed warm with CUDA events (first
call and compile apart) and its images compared with the default's at the same seed (PSNR, max
abs diff). ours = the fastest lossless rung whose images match the default's; peer = the diffusers
default fp16 pipeline (SDPA), the ladder's first rung in the same run. Lossy rungs (DeepCache,
DPM-Solver++ with 20 steps, a tiny VAE) are reported apart in `details["best_lossy"]`, images/s
at batch 8 for the eager rungs in `details["throughput"]`. max-autotune runs only with
GPULAB_DIFFUSION_MAX_AUTOTUNE=1 (it autotunes for many minutes). Smoke: the tiny pipeline of the
same classes at 64 x 64, 4 steps, on the CPU, with no ratio (eager rungs of a toy model).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from gpulab.bench import BenchResult
from gpulab.benchmarks import require_cuda_for_full
from gpulab.progress import printed_progress
from gpulab.workloads.diffusion import DiffusionConfig, LadderResult, run_ladder


def config_for(profile: str) -> DiffusionConfig:
    """The benchmark's settings; full needs a CUDA GPU."""
    config = DiffusionConfig.bench_for_profile(profile)
    if os.environ.get("GPULAB_DIFFUSION_MAX_AUTOTUNE") == "1":
        config = replace(config, max_autotune=True)
    require_cuda_for_full(profile, "diffusion", "times SD 1.5 on a CUDA GPU")
    return config


def run(profile: str) -> BenchResult:
    config = config_for(profile)
    result = run_ladder(config, progress=printed_progress(every_s=5))
    base, best = result.default, result.best(lossy=False)
    if base is None or not base.ran:
        raise RuntimeError(f"the default rung did not run: {base.reason if base else 'absent'}")
    best = best or base
    no_ratio = ""
    if not result.device.startswith("cuda"):
        no_ratio = (
            "smoke on a CPU: a tiny pipeline with eager rungs only (compile needs a GPU), so "
            "its s/image ratio says nothing about SD 1.5 on a GPU"
        )
    return BenchResult(
        metric="seconds per image (median)",
        ours=best.s_per_image or 0.0,
        peer_name=f"diffusers default {result.dtype} pipeline (SDPA)",
        peer_value=base.s_per_image or 0.0,
        unit="s",
        higher_is_better=False,
        details=_details(result, config),
        no_ratio_because=no_ratio,
    )


def _details(result: LadderResult, config: DiffusionConfig) -> dict[str, Any]:
    best, lossy = result.best(lossy=False), result.best(lossy=True)
    ladder = result.to_dict()
    return {
        "device": result.device,
        "dtype": result.dtype,
        "weights": "random (SD 1.5 architecture from configs): speed only, images are noise",
        "best_lossless": _summary(result, best),
        "best_lossy": _summary(result, lossy),
        "throughput": {r.rung: r.throughput for r in result.rungs if r.throughput is not None},
        "seed_check": ladder["seed_check"],
        "parameters_m": result.parameters_m,
        "rungs": ladder["rungs"],
        "seconds": result.seconds,
        "config": config.to_dict(),
    }


def _summary(result: LadderResult, row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "rung": row.rung,
        "s_per_image": row.s_per_image,
        "speedup_vs_default": result.speedup(row),
        "drift": row.drift.to_dict() if row.drift else None,
        "steps": row.steps,
    }
