"""How every figure is timed: a probe, a warm-up and a measurement window sized in seconds.

A first short probe estimates one call; then the warm-up runs for about `warmup_s` seconds
(cuBLAS picks its kernel, the clocks ramp up) and the measurement for about `measure_s` seconds
(at least `min_repeats` calls). A 16384³ fp32 matmul and a 2048³ fp16 one are so both timed over
enough calls for a stable median. Timing is `gpulab.timing.benchmark`: CUDA events on a GPU (the
time the GPU spent, not the time Python took to queue the work), perf_counter on the CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from gpulab.memory import GpuOutOfMemory, oom_guard, release_memory
from gpulab.timing import Timing, benchmark
from gpulab.workloads.gpu_validation.config import ValidationConfig
from gpulab.workloads.gpu_validation.devices import is_cuda
from gpulab.workloads.gpu_validation.results import Result


def time_calls(
    fn: Callable[[], object], device: Any, work: float, unit: str, config: ValidationConfig
) -> Timing:
    """Probe one call, then warm up for `warmup_s` and time `measure_s` worth of calls."""
    timing_device = device if is_cuda(device) else None
    probe = benchmark(fn, warmup=1, repeats=3, device=timing_device)
    per_call = max(probe.median_s, 1e-7)
    warmup = min(1000, max(2, math.ceil(config.warmup_s / per_call)))
    repeats = min(
        config.max_repeats, max(config.min_repeats, math.ceil(config.measure_s / per_call))
    )
    return benchmark(
        fn, warmup=warmup, repeats=repeats, work_per_call=work, unit=unit, device=timing_device
    )


def skip_on_failure(measure: Callable[[], Timing], device: Any, result: Result) -> Timing | None:
    """Run one measurement; an OOM becomes a skipped result, and the buffers are freed either way.

    One size that does not fit (or a format this build cannot run) must not end a run of dozens.
    """
    try:
        with oom_guard(device=device if is_cuda(device) else None):
            return measure()
    except GpuOutOfMemory as err:
        result.skipped = f"out of memory: {err.summary()}"
        return None
    except RuntimeError as err:  # e.g. a format this torch/cuBLAS build cannot run here
        first_line = (str(err).strip().splitlines() or [""])[0]
        result.skipped = f"failed: {type(err).__name__}: {first_line[:200]}"
        return None
    finally:
        release_memory()  # measure()'s tensors are gone with its frame: hand the cache back


def timing_summary(timing: Timing) -> dict[str, Any]:
    """The timing without its per-call samples (thousands of them for fast calls)."""
    data = timing.to_dict()
    data.pop("samples_s", None)
    return data
