"""Background NVML sampling, so charts and benchmarks see values *during* a run.

A snapshot before and after an operation says nothing about what happened in between. The
sampler reads every GPU at a fixed interval on a daemon thread into a bounded history; notebooks
chart it, benchmarks summarise it.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from gpulab import nvml

# NVML clock-event ("throttle") reason bits; "GpuIdle" is normal when nothing runs.
THROTTLE_REASONS: dict[int, str] = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}
# Reasons that mean the GPU is being held back from its clocks (not idle / user settings).
SLOWDOWN_REASONS = frozenset(
    {
        "sw_power_cap",
        "hw_slowdown",
        "sw_thermal_slowdown",
        "hw_thermal_slowdown",
        "hw_power_brake_slowdown",
    }
)


def decode_throttle_reasons(mask: int) -> tuple[str, ...]:
    return tuple(name for bit, name in THROTTLE_REASONS.items() if mask & bit)


@dataclass(frozen=True)
class Sample:
    """One reading of one GPU."""

    t: float  # time.monotonic() seconds
    gpu: int
    utilization_pct: float
    memory_utilization_pct: float
    memory_used_mib: float
    memory_total_mib: float
    temperature_c: float
    power_w: float
    sm_clock_mhz: float
    throttle_reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["throttle_reasons"] = list(self.throttle_reasons)
        return data


Reader = Callable[[], list[Sample]]


def read_gpus(indices: Iterable[int] | None = None) -> list[Sample]:
    """Read every GPU (or the given indices) once through NVML; [] when NVML is unavailable."""
    if not nvml.ensure():
        return []
    pynvml = nvml.module()
    now = time.monotonic()
    samples = []
    for index in indices if indices is not None else range(nvml.device_count()):
        h = nvml.handle(index)
        util = nvml.query(lambda h=h: pynvml.nvmlDeviceGetUtilizationRates(h), None)
        memory = pynvml.nvmlDeviceGetMemoryInfo(h)
        reasons = nvml.query(lambda h=h: _clock_event_reasons(pynvml, h), 0)
        samples.append(
            Sample(
                t=now,
                gpu=index,
                utilization_pct=float(util.gpu) if util else float("nan"),
                memory_utilization_pct=float(util.memory) if util else float("nan"),
                memory_used_mib=memory.used / 2**20,
                memory_total_mib=memory.total / 2**20,
                temperature_c=float(
                    nvml.query(
                        lambda h=h: pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU),
                        float("nan"),
                    )
                ),
                power_w=nvml.query(
                    lambda h=h: pynvml.nvmlDeviceGetPowerUsage(h) / 1000, float("nan")
                ),
                sm_clock_mhz=float(
                    nvml.query(
                        lambda h=h: pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_SM),
                        float("nan"),
                    )
                ),
                throttle_reasons=decode_throttle_reasons(reasons),
            )
        )
    return samples


def _clock_event_reasons(pynvml: object, handle: object) -> int:
    getter = (
        getattr(pynvml, "nvmlDeviceGetCurrentClocksEventReasons", None)
        or pynvml.nvmlDeviceGetCurrentClocksThrottleReasons
    )
    return int(getter(handle))


def gpu_memory_by_pid() -> dict[int, float]:
    """MiB of GPU memory each process holds, summed over GPUs; {} without NVML."""
    if not nvml.ensure():
        return {}
    pynvml = nvml.module()
    usage: dict[int, float] = {}
    for index in range(nvml.device_count()):
        h = nvml.handle(index)
        for getter in (
            "nvmlDeviceGetComputeRunningProcesses",
            "nvmlDeviceGetGraphicsRunningProcesses",
        ):
            for proc in nvml.query(lambda g=getter, h=h: getattr(pynvml, g)(h), []):
                used = proc.usedGpuMemory or 0
                usage[proc.pid] = usage.get(proc.pid, 0.0) + used / 2**20
    return usage


@dataclass
class MetricStats:
    mean: float
    min: float
    max: float
    p50: float


@dataclass
class GpuSummary:
    """Statistics of one GPU's samples over a window."""

    gpu: int
    samples: int
    seconds: float
    samples_per_s: float
    utilization_pct: MetricStats
    memory_used_mib: MetricStats
    temperature_c: MetricStats
    power_w: MetricStats
    sm_clock_mhz: MetricStats
    slowdown_samples: int
    throttle_reasons_seen: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _stats(values: list[float]) -> MetricStats:
    clean = [v for v in values if v == v]  # drop NaN (metric unsupported)
    if not clean:
        nan = float("nan")
        return MetricStats(nan, nan, nan, nan)
    return MetricStats(statistics.fmean(clean), min(clean), max(clean), statistics.median(clean))


def summarise(samples: list[Sample]) -> dict[int, GpuSummary]:
    """Per-GPU statistics of a list of samples (e.g. those taken during one benchmark)."""
    by_gpu: dict[int, list[Sample]] = {}
    for sample in samples:
        by_gpu.setdefault(sample.gpu, []).append(sample)
    result = {}
    for gpu, rows in by_gpu.items():
        seconds = rows[-1].t - rows[0].t if len(rows) > 1 else 0.0
        reasons = sorted({r for row in rows for r in row.throttle_reasons})
        result[gpu] = GpuSummary(
            gpu=gpu,
            samples=len(rows),
            seconds=seconds,
            samples_per_s=(len(rows) - 1) / seconds if seconds > 0 else 0.0,
            utilization_pct=_stats([r.utilization_pct for r in rows]),
            memory_used_mib=_stats([r.memory_used_mib for r in rows]),
            temperature_c=_stats([r.temperature_c for r in rows]),
            power_w=_stats([r.power_w for r in rows]),
            sm_clock_mhz=_stats([r.sm_clock_mhz for r in rows]),
            slowdown_samples=sum(
                1 for r in rows if SLOWDOWN_REASONS.intersection(r.throttle_reasons)
            ),
            throttle_reasons_seen=reasons,
        )
    return result


class TelemetrySampler:
    """Samples GPUs every `interval_s` on a daemon thread, keeping the last `history` readings.

    Use as a context manager around work, or start()/stop() from a notebook. `reader` defaults to
    NVML; pass another callable to sample something else (e.g. in tests on CPU machines).
    """

    def __init__(
        self,
        interval_s: float = 0.5,
        history: int = 7200,
        gpus: Iterable[int] | None = None,
        reader: Reader | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        if history < 1:
            raise ValueError(f"history must be at least 1, got {history}")
        self.interval_s = interval_s
        indices = list(gpus) if gpus is not None else None
        self._reader: Reader = reader or (lambda: read_gpus(indices))
        self.available = reader is not None or nvml.ensure()
        self.error = None if self.available else nvml.error()
        gpu_count = len(indices) if indices is not None else max(1, nvml.device_count())
        self._history: deque[Sample] = deque(maxlen=history * gpu_count)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.read_errors = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> TelemetrySampler:
        """Start sampling (no-op when already running or when telemetry is unavailable)."""
        if self.running or not self.available:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="gpulab-telemetry", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, 5 * self.interval_s))
            self._thread = None

    def __enter__(self) -> TelemetrySampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            try:
                rows = self._reader()
            except Exception:
                self.read_errors += 1
                rows = []
            with self._lock:
                self._history.extend(rows)
            next_tick += self.interval_s
            delay = next_tick - time.monotonic()
            if delay < 0:  # a slow read: skip ahead instead of bursting to catch up
                next_tick = time.monotonic()
                delay = 0
            self._stop.wait(delay)

    def samples(self, gpu: int | None = None, since: float | None = None) -> list[Sample]:
        """A copy of the history, optionally one GPU's, optionally from a monotonic time on."""
        with self._lock:
            rows = list(self._history)
        return [
            s for s in rows if (gpu is None or s.gpu == gpu) and (since is None or s.t >= since)
        ]

    def summary(self, since: float | None = None) -> dict[int, GpuSummary]:
        return summarise(self.samples(since=since))

    def clear(self) -> None:
        with self._lock:
            self._history.clear()


@dataclass(frozen=True)
class ClockReport:
    """What clock and power one GPU ran at during a measurement, against its ceilings.

    A datasheet peak assumes the boost clock on every SM; when a rate falls short, this says
    whether the GPU was held back (power cap, heat) rather than the work being slow.
    """

    sm_clock_mhz: float  # median over the samples taken while the measurement ran
    max_sm_clock_mhz: float | None  # the highest SM clock this GPU supports (NVML)
    power_max_w: float
    power_limit_w: float | None  # the enforced board power limit
    slowdown_reasons: list[str]  # SLOWDOWN_REASONS seen (idle and settings left out)
    samples: int
    power_median_w: float | None = None  # median board power over the samples

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        """One line such as 'SM 1350 MHz of 1980 max, 701 W of a 700 W limit: sw_power_cap'."""
        clock = f"SM {self.sm_clock_mhz:.0f} MHz"
        if self.max_sm_clock_mhz:
            clock += f" of {self.max_sm_clock_mhz:.0f} max"
        power = f"{self.power_max_w:.0f} W"
        if self.power_limit_w:
            power += f" of a {self.power_limit_w:.0f} W limit"
        held = ", ".join(self.slowdown_reasons) or "no slowdown reported"
        return f"{clock}, {power}: {held}"


def clock_ceilings(index: int) -> tuple[float | None, float | None]:
    """(highest supported SM clock in MHz, enforced power limit in W) of NVML GPU `index`."""
    if not nvml.ensure():
        return None, None
    pynvml = nvml.module()
    h = nvml.handle(index)
    max_clock = nvml.query(lambda: pynvml.nvmlDeviceGetMaxClockInfo(h, pynvml.NVML_CLOCK_SM), None)
    limit = nvml.query(lambda: pynvml.nvmlDeviceGetEnforcedPowerLimit(h) / 1000, None)
    return (float(max_clock) if max_clock else None), limit


def clock_report(
    samples: list[Sample], ceilings: tuple[float | None, float | None] = (None, None)
) -> ClockReport | None:
    """Summarise one GPU's samples from a measurement; None when there are none."""
    if not samples:
        return None
    stats = summarise(samples)[samples[0].gpu]
    return ClockReport(
        sm_clock_mhz=stats.sm_clock_mhz.p50,
        max_sm_clock_mhz=ceilings[0],
        power_max_w=stats.power_w.max,
        power_limit_w=ceilings[1],
        slowdown_reasons=[r for r in stats.throttle_reasons_seen if r in SLOWDOWN_REASONS],
        samples=len(samples),
        power_median_w=stats.power_w.p50,
    )


class ClockWatch:
    """Samples one GPU fast (every 50 ms) around a measurement; `.report` is set on exit.

    `with ClockWatch(0) as watch: run()` then `watch.report` (None without NVML).
    """

    def __init__(self, gpu: int | None, interval_s: float = 0.05, reader: Reader | None = None):
        self.gpu = gpu
        self.report: ClockReport | None = None
        usable = gpu is not None and (reader is not None or nvml.ensure())
        self._sampler = (
            TelemetrySampler(interval_s=interval_s, history=100_000, gpus=[gpu], reader=reader)
            if usable
            else None
        )

    def __enter__(self) -> ClockWatch:
        if self._sampler is not None:
            self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sampler is None:
            return
        self._sampler.stop()
        ceilings = clock_ceilings(self.gpu) if self.gpu is not None else (None, None)
        self.report = clock_report(self._sampler.samples(), ceilings)
