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

# A timing whose p99 is this many times its median is flagged as noisy: something else (another
# process, a frequency change, a first-call cost) disturbed some repeats, so the median is shown
# with that warning beside it rather than as a clean figure.
NOISY_P99_OVER_MEDIAN = 1.5


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
    p99_s: float = field(init=False)
    min_s: float = field(init=False)
    mean_s: float = field(init=False)

    def __post_init__(self) -> None:
        if not self.samples_s:
            raise ValueError("no timed repeats")
        self.median_s = statistics.median(self.samples_s)
        self.p10_s = percentile(self.samples_s, 10)
        self.p90_s = percentile(self.samples_s, 90)
        self.p99_s = percentile(self.samples_s, 99)
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

    @property
    def noisy(self) -> bool:
        """True when the slowest repeats are far above the median (see NOISY_P99_OVER_MEDIAN)."""
        return self.median_s > 0 and self.p99_s > NOISY_P99_OVER_MEDIAN * self.median_s

    def spread(self) -> str:
        """The median with its spread, for a table cell: `46.1 ms (p10-p90 44.0-52.3 ms)`."""
        low, high = format_seconds(self.p10_s), format_seconds(self.p90_s)
        text = f"{format_seconds(self.median_s)} (p10-p90 {low}-{high}, {self.repeats} runs)"
        return f"{text} {self.noise_note()}".rstrip()

    def noise_note(self) -> str:
        """'' for a clean timing; otherwise a warning naming how far p99 is from the median."""
        if not self.noisy:
            return ""
        ratio = self.p99_s / self.median_s
        return f"noisy: p99 {format_seconds(self.p99_s)} is {ratio:.1f}x the median"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            repeats=self.repeats,
            throughput=self.throughput,
            throughput_unit=f"{self.unit}/s",
            noisy=self.noisy,
        )
        return data


def format_seconds(seconds: float) -> str:
    """A duration with three significant figures in a unit a reader takes in at a glance."""
    magnitude = abs(seconds)
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if magnitude >= scale or unit == "µs":
            value = seconds / scale
            return f"{value:.3g} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")


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
