"""NeRF: time for our hash-grid NeRF to reach vanilla NeRF's best held-out PSNR after its fixed budget.

Runs `gpulab.workloads.nerf.run_nerf` with `NerfConfig.bench_for_profile`: the procedural scene
(100 training + 20 held-out 400² views, known poses), vanilla NeRF (positional encoding, coarse +
fine 8 x 256 MLPs, 64 + 128 samples) trained for `vanilla_seconds` (300 s on the GPU), then ours
(16-level hash grid, 2^19 entries, occupancy grid, its step replayed from a CUDA graph) until
its held-out PSNR reaches both vanilla's best curve point and 30 dB, at least
`ours_min_seconds` (60 s) and at most `ours_seconds` (90 s). The metric is training
seconds to vanilla's best PSNR (lower is better): ratio = vanilla's time to its best / ours' time
to that PSNR, both read off measured curve points (nothing extrapolated). `details` holds both
curves, ours' time to 30 dB, PSNR at 30 and 60 s (None where not measured), final PSNR over all
held-out views and the config.
Smoke: 32² views on the CPU through the same code, with no ratio.
"""

from __future__ import annotations

from typing import Any

from gpulab.bench import BenchResult
from gpulab.benchmarks import require_cuda_for_full
from gpulab.progress import printed_progress
from gpulab.workloads.nerf import NerfConfig, run_nerf


def config_for(profile: str) -> NerfConfig:
    config = NerfConfig.bench_for_profile(profile)
    require_cuda_for_full(profile, "nerf", "trains on a CUDA GPU")
    return config


def psnr_at(points: list[dict[str, float]], seconds: float, every: float) -> float | None:
    """The last measured point at or before `seconds`, where the curve was measured that far
    (within one interval `every`); None where it was not (too early, or it stopped before)."""
    before = [p for p in points if p["seconds"] <= seconds]
    if not before or before[-1]["seconds"] < seconds - every:
        return None
    return before[-1]["psnr"]


def run(profile: str) -> BenchResult:
    config = config_for(profile)
    result = run_nerf(config, progress=printed_progress())
    ours, vanilla = result.curves["ours"], result.curves["vanilla"]
    target = vanilla.best
    vanilla_t, ours_t = vanilla.time_to_best(), ours.time_to(target)
    no_ratio = ""
    if result.device == "cpu":
        no_ratio = "ran on the CPU at smoke sizes: a GPU benchmark's ratio from a CPU would mislead"
    elif ours_t is None:
        no_ratio = f"ours did not reach vanilla's best {target:.2f} dB within {ours.seconds:.0f} s"
    details: dict[str, Any] = {
        "device": result.device,
        "scene": result.scene,
        "target_psnr": target,
        "vanilla_time_to_best_s": vanilla_t,
        "ours_time_to_target_s": ours_t,
        "ours_time_to_30db_s": ours.time_to(30.0),
        "ours_psnr_at_30s": psnr_at(ours.points, 30.0, config.eval_every_s),
        "ours_psnr_at_60s": psnr_at(ours.points, 60.0, config.eval_every_s),
        "vanilla_psnr_at_60s": psnr_at(vanilla.points, 60.0, config.eval_every_s),
        "test_psnr": result.test_psnr,
        "mean_colour_psnr": result.baseline_psnr,
        "curves": {name: curve.to_dict() for name, curve in result.curves.items()},
        "stats": result.stats,
        "method": (
            "curve points: PSNR on a fixed random subset of held-out pixels every "
            f"{config.eval_every_s:g} s of training (clock paused while measuring, synchronised); "
            "test_psnr: mean per-view PSNR over every held-out view after training"
        ),
        "seconds": result.seconds,
        "config": config.to_dict(),
    }
    return BenchResult(
        metric="training seconds to vanilla NeRF's best held-out PSNR",
        ours=ours_t if ours_t is not None else ours.seconds,
        peer_name=f"vanilla NeRF (coarse + fine 8x256, {config.vanilla_seconds:g} s budget)",
        peer_value=vanilla_t or 0.0,
        unit="s",
        higher_is_better=False,
        details=details,
        no_ratio_because=no_ratio,
    )
