"""Does the bf16 matmul rate under the H100's 700 W cap depend on the operands' values?

Tensor-core power grows with bit toggling in the operands; under a power cap, clocks (and so
TFLOPS) drop. Same sizes and timing method as `gpulab bench gpu`, three operand distributions.
"""

import json
import sys

import torch

from gpulab.telemetry import TelemetrySampler
from gpulab.timing import benchmark

results = []
for size in (8192, 12288):
    for name, make in [
        ("normal randn", lambda n: torch.randn(n, n, device="cuda", dtype=torch.bfloat16)),
        ("uniform [0,1)", lambda n: torch.rand(n, n, device="cuda", dtype=torch.bfloat16)),
        ("uniform [-1,1)", lambda n: torch.rand(n, n, device="cuda", dtype=torch.bfloat16) * 2 - 1),
    ]:
        a, b = make(size), make(size)
        c = torch.empty_like(a)
        with TelemetrySampler(interval_s=0.05) as sampler:
            timing = benchmark(
                lambda a=a, b=b, c=c: torch.matmul(a, b, out=c),
                warmup=20,
                repeats=50,
                work_per_call=2 * size**3 / 1e12,
                unit="TFLOP",
                device="cuda",
            )
        summary = sampler.summary()[0]
        row = {
            "size": size,
            "operands": name,
            "tflops": timing.throughput,
            "sm_clock_mean_mhz": summary.sm_clock_mhz.mean,
            "power_max_w": summary.power_w.max,
        }
        results.append(row)
        print(
            f"n={size:5} {name:15} {timing.throughput:7.1f} TFLOPS  SM {summary.sm_clock_mhz.mean:5.0f} MHz"
            f"  power max {summary.power_w.max:4.0f} W  {summary.throttle_reasons_seen}"
        )
        del a, b, c
with open(sys.argv[1], "w") as handle:
    json.dump(results, handle, indent=2)
