"""How one call is timed (warm-up, then repeats until enough time was measured) and how a
duration is printed."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from gpulab.timing import Timing, benchmark

from .config import SuiteConfig


def measure(
    fn: Callable[[], Any], config: SuiteConfig, sync: Callable[[], None] | None = None
) -> tuple[Timing, Any]:
    """Warm up, then time `fn` (plus `sync`, inside the clock) ≥ `repeats` times; more repeats
    for fast calls until `min_time_s` was measured. Returns the timing and the last result."""
    last: list[Any] = [None]

    def call() -> None:
        last[0] = None  # let the previous result go before the next call allocates its own
        last[0] = fn()
        if sync is not None:
            sync()

    first = benchmark(call, warmup=config.warmup, repeats=config.repeats)
    samples = list(first.samples_s)
    extra = 0
    if sum(samples) < config.min_time_s and first.median_s > 0:
        wanted = math.ceil((config.min_time_s - sum(samples)) / first.median_s)
        extra = min(wanted, config.max_repeats - config.repeats)
    if extra > 0:
        samples += benchmark(call, warmup=0, repeats=extra).samples_s
    return Timing(samples, first.method, config.warmup), last[0]


def format_seconds(seconds: float | None) -> str:
    """A duration with µs resolution whatever its size, so a real copy never reads as 0.0."""
    if seconds is None:
        return "-"
    if seconds >= 1.0:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} µs"
