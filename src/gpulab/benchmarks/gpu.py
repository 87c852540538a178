"""GPU validation: bf16 matmul TFLOPS (fp32 on CPU) vs a CPU torch matmul, bandwidths vs datasheet.

Runs the measurements of `notebooks/gpu_validation.py` (`gpulab.workloads.gpu_validation`), at
the sizes `ValidationConfig.for_profile` and `BurstConfig.for_profile` give the notebook, on the
first CUDA device: first each format's burst (a few products after a rest) and sustained rate
(seconds back to back) at one size, each with its SM clock, power and the peak at that clock; the
headline is the bf16 burst, with its % of the datasheet and the sustained rate beside it. Then matmul
TFLOPS per dtype and size, device memory copy, host<->device transfers pinned and pageable, and
the CPU peer, each as % of its ceiling where one is known. The headline is the best size's median
bf16 rate; the peer is what the same machine's CPU does with torch. Without a CUDA GPU the headline
is the CPU's own fp32 matmul, so the report gives no ratio (`no_ratio_because`): it would compare
the CPU with itself.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gpulab.bench import BenchResult
from gpulab.device import torch_device
from gpulab.workloads.gpu_validation import (
    BandwidthResult,
    BurstConfig,
    BurstSustained,
    MatmulResult,
    Peaks,
    Result,
    ValidationConfig,
    ValidationSummary,
    peaks_for,
    rate_spread,
    run_burst,
    run_validation,
    summarise,
)

METHOD = (
    "CUDA-event timing (perf_counter on CPU) via gpulab.timing.benchmark; per measurement "
    "~{warmup_s}s warm-up then ~{measure_s}s of timed calls ({min_repeats}-{max_repeats} "
    "repeats); value = work / median call; matmul = 2n^3 FLOP on random normal data into a "
    "preallocated output; device copy counts bytes read + written (2x buffer); transfers count "
    "the buffer once"
)

NO_GPU_RATIO = (
    "no CUDA GPU here: the headline fp32 matmul ran on this machine's CPU, the same device as "
    "the CPU peer, so their ratio would compare the CPU with itself"
)


def run(profile: str) -> BenchResult:
    config = ValidationConfig.for_profile(profile)
    burst_config = BurstConfig.for_profile(profile)
    device = torch_device()
    peaks = peaks_for(device)
    # The burst pair first, on a GPU no sweep has heated yet.
    bursts = run_burst(burst_config, device, peaks.datasheet)
    results = run_validation(config, device, peaks)
    summary = summarise(results)
    on_gpu = device.type == "cuda"
    headline = "bf16" if on_gpu and "bf16" in summary.best_matmul else "fp32"
    best = summary.best_matmul[headline]
    burst = next((b for b in bursts if b.dtype == headline and b.burst), None)
    cpu = summary.cpu_matmul
    if burst is None or burst.burst is None or cpu is None or cpu.tflops is None:
        raise RuntimeError("the headline burst or the CPU peer produced no measurement")
    details = _details(config, device, peaks, summary, results, best, cpu)
    details["burst_sustained"] = [b.to_dict() for b in bursts]
    details["burst_config"] = asdict(burst_config)
    details["headline"] = _headline(burst)
    return BenchResult(
        metric=f"{headline} matmul TFLOPS, burst at {burst.size}^3 (sustained in details)",
        ours=burst.burst.tflops,
        peer_name=f"CPU torch matmul fp32 {cpu.size}^3",
        peer_value=cpu.tflops,
        unit="TFLOPS",
        details=details,
        no_ratio_because="" if on_gpu else NO_GPU_RATIO,
    )


def _headline(burst: BurstSustained) -> dict[str, Any]:
    """Burst % of the datasheet with the sustained rate beside it, each with its clock."""
    assert burst.burst is not None and burst.sustained is not None
    return {
        "dtype": burst.dtype,
        "size": burst.size,
        "burst_tflops": burst.burst.tflops,
        "burst_pct_of_datasheet": burst.burst_pct_of_datasheet,
        "burst_pct_of_peak_at_clock": burst.burst.pct_of_peak_at_clock,
        "burst_clocks": burst.burst.clocks.to_dict() if burst.burst.clocks else None,
        "sustained_tflops": burst.sustained.tflops,
        "sustained_seconds": burst.sustained.seconds,
        "sustained_pct_of_datasheet": burst.sustained_pct_of_datasheet,
        "sustained_pct_of_peak_at_clock": burst.sustained.pct_of_peak_at_clock,
        "sustained_clocks": burst.sustained.clocks.to_dict() if burst.sustained.clocks else None,
    }


def _details(
    config: ValidationConfig,
    device: Any,
    peaks: Peaks,
    summary: ValidationSummary,
    results: list[Result],
    best: MatmulResult,
    cpu: MatmulResult,
) -> dict[str, Any]:
    """Every figure of the run for the report: the headline (`best`), the best size per format,
    the bandwidths, the CPU peer, every result, how it was measured and the config it ran."""
    return {
        "device": str(device),
        "gpu": _gpu_name(device),
        "datasheet": peaks.datasheet.to_dict() if peaks.datasheet else None,
        "pcie_link": peaks.pcie_name,
        "sweep_best": {
            "dtype": best.dtype,
            "size": best.size,
            "tflops": best.tflops,
            "tflops_p90_p10": rate_spread(best),  # rates at the p90 and p10 call times
            "noise": best.noise,
            "pct_of_datasheet": best.pct_of_peak,
            "clocks": best.clocks.to_dict() if best.clocks else None,
        },
        "best_per_dtype": {
            dtype: {
                "size": r.size,
                "tflops": r.tflops,
                "pct_of_datasheet": r.pct_of_peak,
                "clocks": r.clocks.describe() if r.clocks else None,
            }
            for dtype, r in summary.best_matmul.items()
        },
        "copy": _bandwidth_headline(summary.copy),
        "transfers": {t.label: _bandwidth_headline(t) for t in summary.transfers},
        "cpu_matmul": {"size": cpu.size, "tflops": cpu.tflops, "threads": _cpu_threads()},
        "results": [r.to_dict() for r in results],
        "method": METHOD.format(**asdict(config)),
        "config": asdict(config),
    }


def _bandwidth_headline(result: BandwidthResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "gbs": result.gbs,
        "pct_of_peak": result.pct_of_peak,
        "peak_gbs": result.peak_gbs,
        "peak": result.peak_name,
        "buffer_mib": result.buffer_mib,
        "skipped": result.skipped,
    }


def _gpu_name(device: Any) -> str | None:
    if device.type != "cuda":
        return None
    import torch

    return torch.cuda.get_device_name(device)


def _cpu_threads() -> int:
    import torch

    return torch.get_num_threads()
