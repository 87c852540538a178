"""Timing with sound method: warm-up, repeats, percentiles, and clocks that see GPU work.

CUDA launches return before the GPU finishes, so a wall clock around them measures the launch, not
the work. On a GPU we time with CUDA events recorded in the stream; elsewhere with perf_counter
after synchronising. The first calls pay for compilation, autotuning and caches: warm-up runs
are executed and discarded.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in [0, 100]) of a non-empty list."""
    if not values:
        raise ValueError("percentile of an empty list")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Timing:
    """Seconds per call over the timed repeats, and throughput for the work each call does."""

    samples_s: list[float]
    method: str
    warmup: int
    work_per_call: float | None = None
    unit: str = "calls"
    median_s: float = field(init=False)
    p10_s: float = field(init=False)
    p90_s: float = field(init=False)
    min_s: float = field(init=False)
    mean_s: float = field(init=False)

    def __post_init__(self) -> None:
        if not self.samples_s:
            raise ValueError("no timed repeats")
        self.median_s = statistics.median(self.samples_s)
        self.p10_s = percentile(self.samples_s, 10)
        self.p90_s = percentile(self.samples_s, 90)
        self.min_s = min(self.samples_s)
        self.mean_s = statistics.fmean(self.samples_s)

    @property
    def repeats(self) -> int:
        return len(self.samples_s)

    @property
    def throughput(self) -> float:
        """Work per second at the median (calls/s when no work amount was given)."""
        work = 1.0 if self.work_per_call is None else self.work_per_call
        return work / self.median_s if self.median_s > 0 else float("inf")

    def percentile(self, q: float) -> float:
        return percentile(self.samples_s, q)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            repeats=self.repeats, throughput=self.throughput, throughput_unit=f"{self.unit}/s"
        )
        return data


def _is_cuda(device: Any) -> bool:
    return device is not None and str(device).startswith("cuda")


def synchronize(device: Any = None) -> None:
    """Wait for queued GPU work (all devices unless one is named); no-op without CUDA."""
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        if _is_cuda(device):
            torch.cuda.synchronize(device)
        else:
            for index in range(torch.cuda.device_count()):
                torch.cuda.synchronize(index)


def benchmark(
    fn: Callable[[], object],
    *,
    warmup: int = 3,
    repeats: int = 10,
    work_per_call: float | None = None,
    unit: str = "calls",
    device: Any = None,
) -> Timing:
    """Time `fn()` `repeats` times after `warmup` discarded calls.

    `device="cuda"` (or "cuda:N") times with CUDA events on that device's current stream: the GPU
    time between the start and the end of each call. Otherwise wall-clock perf_counter, with every
    GPU synchronised before each clock read so asynchronous work is never cut off.
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f"need warmup >= 0 and repeats >= 1, got {warmup}, {repeats}")
    for _ in range(warmup):
        fn()
    if _is_cuda(device):
        return _time_with_events(fn, repeats, device, warmup, work_per_call, unit)
    samples = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        fn()
        synchronize()
        samples.append(time.perf_counter() - start)
    return Timing(samples, "perf_counter", warmup, work_per_call, unit)


def _time_with_events(
    fn: Callable[[], object],
    repeats: int,
    device: Any,
    warmup: int,
    work_per_call: float | None,
    unit: str,
) -> Timing:
    import torch

    with torch.cuda.device(device):
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
        torch.cuda.synchronize()
        for start, end in zip(starts, ends, strict=True):
            start.record()
            fn()
            end.record()
        torch.cuda.synchronize()
        samples = [start.elapsed_time(end) / 1000 for start, end in zip(starts, ends, strict=True)]
    return Timing(samples, "cuda-events", warmup, work_per_call, unit)
