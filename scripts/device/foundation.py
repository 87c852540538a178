"""GPU proof for the foundation issue: telemetry during a matmul loop, OOM guard, doctor.

Run on a GPU host from the repo root: `python3 scripts/device/foundation.py OUT_DIR`. Prints the
figures and writes OUT_DIR/foundation.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

from gpulab.doctor import collect
from gpulab.memory import GpuOutOfMemory, oom_guard
from gpulab.telemetry import TelemetrySampler, summarise

MIB = 2**20


def telemetry_during_matmul(seconds: float = 5.0, interval_s: float = 0.05) -> dict:
    """Sample at 20 Hz while bf16 matmuls keep the GPU busy for `seconds`."""
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    c = torch.empty_like(a)
    for _ in range(3):
        torch.matmul(a, b, out=c)
    torch.cuda.synchronize()
    with TelemetrySampler(interval_s=interval_s) as sampler:
        start = time.monotonic()
        launched = 0
        while time.monotonic() - start < seconds:
            for _ in range(20):
                torch.matmul(a, b, out=c)
            launched += 20
            torch.cuda.synchronize()  # keep the queue short so the loop ends on time
        end = time.monotonic()
    loop = [s for s in sampler.samples(gpu=0) if start <= s.t <= end]
    # NVML's utilisation is averaged over its own sampling window; skip the first 0.5 s ramp.
    steady = [s for s in loop if s.t >= start + 0.5]
    summary = summarise(loop)[0]
    steady_summary = summarise(steady)[0]
    tflops = launched * 2 * 8192**3 / (end - start) / 1e12
    return {
        "loop_seconds": end - start,
        "interval_s": interval_s,
        "samples": summary.samples,
        "samples_per_s": summary.samples_per_s,
        "utilization_pct_all": summary.utilization_pct.__dict__,
        "utilization_pct_after_0_5s": steady_summary.utilization_pct.__dict__,
        "power_w": summary.power_w.__dict__,
        "sm_clock_mhz": summary.sm_clock_mhz.__dict__,
        "throttle_reasons_seen": summary.throttle_reasons_seen,
        "achieved_bf16_tflops": tflops,
    }


def oom_guard_check() -> dict:
    """Hold 1 GiB, then a step holding 8 GiB of intermediates asks for 2x the card: caught, freed."""
    torch.cuda.empty_cache()
    keep = torch.empty(2**30, dtype=torch.uint8, device="cuda")
    torch.cuda.synchronize()
    before = torch.cuda.memory_reserved()
    total = torch.cuda.get_device_properties(0).total_memory

    def training_step_that_does_not_fit() -> None:
        intermediates = [torch.empty(2**30, dtype=torch.uint8, device="cuda") for _ in range(8)]
        huge = torch.empty(2 * total, dtype=torch.uint8, device="cuda")
        del intermediates, huge

    caught = None
    try:
        with oom_guard():
            training_step_that_does_not_fit()
    except GpuOutOfMemory as err:
        caught = err
    after = torch.cuda.memory_reserved()
    result = {
        "caught": caught is not None,
        "message": str(caught),
        "requested_mib": caught.requested_mib if caught else None,
        "free_mib": caught.free_mib if caught else None,
        "total_mib": caught.total_mib if caught else None,
        "reserved_before_mib": before / MIB,
        "reserved_after_mib": after / MIB,
        "reserved_change_pct": 100 * (after - before) / before,
    }
    # A rerun after the OOM works: allocate and compute again.
    x = torch.randn(4096, 4096, device="cuda")
    result["rerun_ok"] = bool(torch.isfinite(x @ x).all())
    del keep, x
    return result


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "doctor": collect(),
        "telemetry": telemetry_during_matmul(),
        "oom_guard": oom_guard_check(),
    }
    (out / "foundation.json").write_text(json.dumps(report, indent=2, default=str))
    t, o = report["telemetry"], report["oom_guard"]
    print(
        f"telemetry: {t['samples']} samples in {t['loop_seconds']:.2f} s = {t['samples_per_s']:.1f}/s; "
        f"utilisation mean {t['utilization_pct_all']['mean']:.1f}% (min {t['utilization_pct_all']['min']:.0f}%), "
        f"after 0.5 s ramp mean {t['utilization_pct_after_0_5s']['mean']:.1f}% "
        f"(min {t['utilization_pct_after_0_5s']['min']:.0f}%); bf16 {t['achieved_bf16_tflops']:.0f} TFLOPS; "
        f"power max {t['power_w']['max']:.0f} W; throttle {t['throttle_reasons_seen']}"
    )
    print(
        f"oom guard: caught={o['caught']} ({o['message']}); reserved {o['reserved_before_mib']:.0f} MiB "
        f"-> {o['reserved_after_mib']:.0f} MiB ({o['reserved_change_pct']:+.2f}%); rerun ok={o['rerun_ok']}"
    )


if __name__ == "__main__":
    main()
