"""What a stress run's reports add up to: sustained TFLOPS per device, the numerical check's
verdict, and the telemetry over the load. Pure functions of the worker's JSON events and the
sampler's samples, so they are tested without a process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from gpulab.telemetry import Sample, summarise

Event = dict[str, Any]
# How a run ended, in words (the worker's "done" reason or ours).
ENDINGS = {
    "duration": "ran its full duration",
    "stopped": "stopped on demand",
    "watchdog": "stopped by the watchdog (it overran its duration)",
    "parent-gone": "ended because its parent process went away",
    "error": "ended because every device failed",
}


@dataclass
class DeviceStress:
    """What one device sustained during the run, from the worker's interval reports."""

    device: str
    gpu: int | None
    intervals: int = 0
    iterations: int = 0
    seconds: float = 0.0
    sustained_tflops: float | None = None  # after the first interval (clocks settling)
    min_tflops: float | None = None
    max_tflops: float | None = None
    checks: int = 0
    mismatches: int = 0
    worst_error_ratio: float | None = None  # worst |error| / tolerance; >= 1 is a mismatch
    errors: list[str] = field(default_factory=list)


@dataclass
class StressSummary:
    """The run's verdict: sustained rate, numerical check, and telemetry while it ran."""

    pid: int | None
    stop_reason: str | None
    returncode: int | None
    load_seconds: float | None
    devices: dict[str, DeviceStress]
    telemetry: dict[int, dict[str, Any]]
    config: dict[str, Any]

    @property
    def checks(self) -> int:
        return sum(d.checks for d in self.devices.values())

    @property
    def mismatches(self) -> int:
        return sum(d.mismatches for d in self.devices.values())

    @property
    def errors(self) -> list[str]:
        return [e for d in self.devices.values() for e in d.errors]

    @property
    def ended(self) -> str:
        """How the run ended, in words."""
        return ENDINGS.get(self.stop_reason or "", self.stop_reason or "still running")

    @property
    def passed(self) -> bool:
        """Checked at least once, every check matched, no device failed."""
        return self.checks > 0 and self.mismatches == 0 and not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "stop_reason": self.stop_reason,
            "returncode": self.returncode,
            "load_seconds": self.load_seconds,
            "passed": self.passed,
            "checks": self.checks,
            "mismatches": self.mismatches,
            "devices": {k: asdict(v) for k, v in self.devices.items()},
            "telemetry": {str(k): v for k, v in self.telemetry.items()},
            "config": self.config,
        }


def load_window(events: Sequence[Event], fallback_end: float) -> tuple[float | None, float]:
    """(first device ready, last report) in time.monotonic() seconds; `fallback_end` when no
    interval was reported yet."""
    ready = [e["t"] for e in events if e.get("event") == "ready"]
    reports = [e["t"] for e in events if e.get("event") == "interval"]
    return (min(ready) if ready else None), (max(reports) if reports else fallback_end)


def device_reports(events: Sequence[Event], flops_per_product: float) -> dict[str, DeviceStress]:
    """Per device: its errors, checks and mismatches, and the rates of its interval reports."""
    result: dict[str, DeviceStress] = {}
    for event in events:
        device = event.get("device")
        if device is None:
            continue
        stats = result.setdefault(device, DeviceStress(device=device, gpu=event.get("gpu")))
        if event["event"] == "error":
            stats.errors.append(event.get("message", "unknown error"))
        elif event["event"] == "interval":
            stats.intervals += 1
            stats.checks += event["checks"]
            stats.mismatches += event["mismatches"]
            ratio = event.get("worst_error_ratio")
            if ratio is not None:
                stats.worst_error_ratio = max(stats.worst_error_ratio or 0.0, ratio)
    for device, stats in result.items():
        intervals = [
            e
            for e in events
            if e.get("event") == "interval" and e.get("device") == device and e["seconds"] > 0
        ]
        _fill_rates(stats, intervals, flops_per_product)
    return result


def _fill_rates(stats: DeviceStress, intervals: list[Event], flops_per_product: float) -> None:
    """Totals over every interval; rates over the steady ones (after the first: clocks settle)."""
    steady = intervals[1:] if len(intervals) > 1 else intervals
    stats.iterations = sum(e["iterations"] for e in intervals)
    stats.seconds = sum(e["seconds"] for e in intervals)
    if steady:
        work = sum(e["iterations"] for e in steady) * flops_per_product
        stats.sustained_tflops = work / sum(e["seconds"] for e in steady) / 1e12
        stats.min_tflops = min(e["tflops"] for e in steady)
        stats.max_tflops = max(e["tflops"] for e in steady)


def telemetry_during(
    samples: Sequence[Sample], gpus: Sequence[int], start: float, end: float, settle_s: float
) -> dict[int, dict[str, Any]]:
    """Per GPU: utilisation over the steady part (after `settle_s`), maxima and throttle reasons
    over the whole load."""
    during = [s for s in samples if start <= s.t <= end and s.gpu in gpus]
    steady = [s for s in during if s.t >= start + settle_s] or during
    whole, settled = summarise(during), summarise(steady)
    telemetry: dict[int, dict[str, Any]] = {}
    for gpu, stats in whole.items():
        calm = settled.get(gpu, stats)
        telemetry[gpu] = {
            "samples": stats.samples,
            "steady_from_s": settle_s,
            "utilization_mean_pct": calm.utilization_pct.mean,
            "utilization_min_pct": calm.utilization_pct.min,
            "sm_clock_mean_mhz": calm.sm_clock_mhz.mean,
            "power_mean_w": calm.power_w.mean,
            "power_max_w": stats.power_w.max,
            "temperature_max_c": stats.temperature_c.max,
            "memory_used_max_mib": stats.memory_used_mib.max,
            "slowdown_samples": stats.slowdown_samples,
            "throttle_reasons_seen": stats.throttle_reasons_seen,
        }
    return telemetry
