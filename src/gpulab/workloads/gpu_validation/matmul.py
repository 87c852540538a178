"""Matmul throughput: TFLOPS of an n×n @ n×n product per number format, against the datasheet.

A product counts 2·n³ floating-point operations (one multiply and one add per term). The inputs
are random normal data: zeros would let the tensor cores draw less power and clock higher. The
output is preallocated, so the timed call is the product and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from gpulab.datasheet import Datasheet
from gpulab.telemetry import ClockWatch
from gpulab.timing import Timing
from gpulab.workloads.gpu_validation.config import ValidationConfig
from gpulab.workloads.gpu_validation.devices import is_cuda, nvml_index, torch_module
from gpulab.workloads.gpu_validation.measurement import (
    skip_on_failure,
    time_calls,
    timing_summary,
)
from gpulab.workloads.gpu_validation.results import MatmulResult

# The compute capability each format needs on a CUDA GPU.
NEEDS_CAPABILITY = {"tf32": (8, 0), "bf16": (8, 0), "fp8": (8, 9)}


def unsupported_reason(dtype: str, device: Any) -> str | None:
    """Why `dtype` cannot be measured on `device` (None when it can)."""
    torch = torch_module()
    if not is_cuda(device):
        if dtype in ("tf32", "fp8"):
            return f"{dtype} is a tensor-core format: CUDA GPUs only"
        return None
    capability = torch.cuda.get_device_capability(device)
    if dtype in NEEDS_CAPABILITY and capability < NEEDS_CAPABILITY[dtype]:
        need = ".".join(map(str, NEEDS_CAPABILITY[dtype]))
        have = ".".join(map(str, capability))
        return f"{dtype} needs compute capability >= {need}; this GPU has {have}"
    if dtype == "fp8" and not hasattr(torch, "_scaled_mm"):
        return "this torch has no fp8 matmul (torch._scaled_mm)"
    return None


@contextmanager
def tf32_matmuls(enabled: bool) -> Iterator[None]:
    """Let fp32 matmuls use TF32 tensor cores (10-bit mantissa) inside the block, then restore.

    fp32 and tf32 take the same fp32 tensors; only this switch differs, which is why they are
    measured separately: most 'fp32' training on Ampere+ actually runs in TF32.
    """
    matmul = torch_module().backends.cuda.matmul
    before = matmul.allow_tf32
    matmul.allow_tf32 = enabled
    try:
        yield
    finally:
        matmul.allow_tf32 = before


def random_matrices(dtype: str, size: int, device: Any, seed: int) -> tuple[Any, Any, Any]:
    """a, b (random normal) and a preallocated output c, in the storage `dtype` computes on."""
    torch = torch_module()
    generator = torch.Generator(device=device).manual_seed(seed)
    storage = {"fp32": torch.float32, "tf32": torch.float32, "fp16": torch.float16}
    make = storage.get(dtype, torch.bfloat16)  # bf16, and fp8's source values
    a = torch.randn(size, size, generator=generator, device=device, dtype=make)
    b = torch.randn(size, size, generator=generator, device=device, dtype=make)
    if dtype == "fp8":
        # _scaled_mm wants a row-major and b column-major: b.t() of a row-major matrix is.
        a = a.to(torch.float8_e4m3fn)
        b = b.to(torch.float8_e4m3fn).t().contiguous().t()
        c = torch.empty(size, size, device=device, dtype=torch.bfloat16)
    else:
        c = torch.empty(size, size, device=device, dtype=make)
    return a, b, c


def matmul_fn(dtype: str, a: Any, b: Any, c: Any) -> Callable[[], object]:
    """The timed call: `a @ b` into `c`, through `torch._scaled_mm` for fp8."""
    torch = torch_module()
    if dtype != "fp8":
        return lambda: torch.matmul(a, b, out=c)
    one = torch.ones((), device=a.device, dtype=torch.float32)

    def fp8(**out: Any) -> object:
        # Fast accumulation: the mode inference uses and the one the datasheet fp8 rate assumes.
        return torch._scaled_mm(
            a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16, use_fast_accum=True, **out
        )

    try:
        fp8(out=c)
    except (TypeError, RuntimeError):  # a torch without the out= overload: allocate per call
        return fp8
    return lambda: fp8(out=c)


def matmul_tflops(
    dtype: str,
    size: int,
    device: Any,
    config: ValidationConfig,
    datasheet: Datasheet | None = None,
) -> MatmulResult:
    """TFLOPS of `torch.matmul(a, b, out=c)` for size×size matrices of random data."""
    result = MatmulResult(dtype=dtype, size=size, device=str(device))
    result.peak_tflops = datasheet.peak_tflops(dtype) if datasheet else None
    result.skipped = unsupported_reason(dtype, device)
    if result.skipped:
        return result

    def measure() -> Timing:
        with tf32_matmuls(dtype == "tf32"):
            fn = matmul_fn(dtype, *random_matrices(dtype, size, device, config.seed))
            with ClockWatch(nvml_index(device)) as watch:
                timing = time_calls(fn, device, 2 * size**3 / 1e12, "TFLOP", config)
            result.clocks = watch.report
            return timing

    timing = skip_on_failure(measure, device, result)
    if timing is not None:
        result.tflops = timing.throughput
        result.tflops_best = timing.work_per_call / timing.min_s
        result.timing = timing_summary(timing)
        result.noise = timing.noise_note()
    return result
