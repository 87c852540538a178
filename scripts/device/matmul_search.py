"""Which bf16 GEMMs reach the most TFLOPS on this GPU: operand layout, BLAS library, shape.

`gpulab bench gpu` times square `torch.matmul(a, b, out=c)` with random normal operands. This asks
whether that choice understates the card: it times the same way (CUDA events, ~0.15 s warm-up,
~0.3 s of timed calls, value at the median call), on random normal bf16 operands, for
  - the three operand layouts a GEMM meets in practice: a @ b, a @ b.T (nn.Linear: x @ W.T), a.T @ b;
  - cuBLAS and cuBLASLt as torch's preferred BLAS library;
  - a grid of m x n x k shapes (wave quantisation over 132 SMs makes some shapes fill the GPU
    better than others);
and holds the best shape for 3 s to see whether it survives the power cap.

    python3 scripts/device/matmul_search.py OUT.json
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from typing import Any

import torch

from gpulab.telemetry import TelemetrySampler
from gpulab.timing import benchmark

PEAK_TFLOPS = 989.4  # H100 SXM dense bf16 datasheet figure (gpulab.datasheet)


def operands(m: int, n: int, k: int, layout: str) -> tuple[Any, Any, Any]:
    """a, b for an m x k by k x n product stored as `layout` says, and the m x n output."""
    gen = torch.Generator(device="cuda").manual_seed(0)

    def randn(rows: int, cols: int) -> Any:
        return torch.randn(rows, cols, generator=gen, device="cuda", dtype=torch.bfloat16)

    a = randn(k, m).t() if layout == "a.T @ b" else randn(m, k)
    b = randn(n, k).t() if layout == "a @ b.T" else randn(k, n)
    return a, b, torch.empty(m, n, device="cuda", dtype=torch.bfloat16)


def measure(m: int, n: int, k: int, layout: str, seconds: float = 0.3) -> dict[str, Any]:
    a, b, c = operands(m, n, k, layout)

    def call() -> None:
        torch.matmul(a, b, out=c)

    probe = benchmark(call, warmup=1, repeats=3, device="cuda").median_s
    with TelemetrySampler(interval_s=0.05) as sampler:
        timing = benchmark(
            call,
            warmup=min(1000, max(2, math.ceil(0.15 / probe))),
            repeats=min(2000, max(10, math.ceil(seconds / probe))),
            work_per_call=2 * m * n * k / 1e12,
            unit="TFLOP",
            device="cuda",
        )
    gpu = sampler.summary()[0]
    return {
        "m": m,
        "n": n,
        "k": k,
        "layout": layout,
        "blas": str(torch.backends.cuda.preferred_blas_library()),
        "tflops": timing.throughput,
        "pct_of_datasheet": 100 * timing.throughput / PEAK_TFLOPS,
        "repeats": timing.repeats,
        "sm_clock_mean_mhz": gpu.sm_clock_mhz.mean,
        "power_max_w": gpu.power_w.max,
        "throttle": sorted(gpu.throttle_reasons_seen),
    }


def show(row: dict[str, Any]) -> None:
    print(
        f"{row['m']:6}x{row['n']:6}x{row['k']:6} {row['layout']:8} {row['blas']:24}"
        f" {row['tflops']:6.1f} TFLOPS {row['pct_of_datasheet']:5.1f}%"
        f"  SM {row['sm_clock_mean_mhz']:5.0f} MHz  {row['power_max_w']:4.0f} W"
        f"  {','.join(row['throttle']) or '-'}",
        flush=True,
    )


def main() -> None:
    rows: list[dict[str, Any]] = []
    print(f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    layouts = ("a @ b", "a @ b.T", "a.T @ b")
    print("== layouts and BLAS library, square")
    for library in ("cublas", "cublaslt"):
        torch.backends.cuda.preferred_blas_library(library)
        for size, layout in itertools.product((8192, 12288), layouts):
            rows.append(measure(size, size, size, layout))
            show(rows[-1])
    torch.backends.cuda.preferred_blas_library("cublas")
    print("== shapes (m x n x k), a @ b and a @ b.T")
    shapes = itertools.product((4096, 6144, 8192, 12288), (4096, 8192, 11264, 16384), (4096, 8192))
    for (m, n, k), layout in itertools.product(shapes, ("a @ b", "a @ b.T")):
        rows.append(measure(m, n, k, layout))
        show(rows[-1])
    best = max(rows, key=lambda row: row["tflops"])
    print("== best shape held for 3 s")
    torch.backends.cuda.preferred_blas_library(best["blas"].split(".")[-1].lower())
    held = measure(best["m"], best["n"], best["k"], best["layout"], seconds=3.0)
    show(held)
    with open(sys.argv[1], "w") as handle:
        json.dump({"rows": rows, "best": best, "best_held_3s": held}, handle, indent=2)


if __name__ == "__main__":
    main()
