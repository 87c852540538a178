"""The whole validation run with honest progress: how long each remaining measurement will take.

Measurements differ a thousandfold in cost: a 2048³ bf16 matmul is a burst of short calls timed
for a fixed window, a 16384³ fp32 one on a CPU does 512 times its FLOPs per call at a slower
rate, and a step count would price both the same. So progress is counted in
seconds of measurement, and the seconds a measurement will take come from its work: the TFLOP
(GB for a copy) of each call at the rate measured so far for its kind on its device, times the
calls `measurement.time_calls` makes (a probe, a warm-up of `warmup_s`, a window of `measure_s`,
at least `min_repeats` calls). A format not measured yet borrows the rate of one that was, scaled
by their datasheet peaks where both are known, else the slowest measured so far; before any rate
is known a measurement is its time windows. Set-up time beyond the calls (allocating and filling
the matrices) is measured too, from the second step on: the first one pays for CUDA's start-up.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpulab.datasheet import Datasheet
from gpulab.progress import ProgressFn, no_progress
from gpulab.workloads.gpu_validation.ceilings import Peaks
from gpulab.workloads.gpu_validation.config import ValidationConfig
from gpulab.workloads.gpu_validation.results import Result
from gpulab.workloads.gpu_validation.steps import Step, validation_steps

PROBE_CALLS = 4  # time_calls' probe: one warm-up call and three timed ones
WARMUP_CALLS = (2, 1000)  # time_calls' bounds on the warm-up calls


@dataclass
class CostModel:
    """Predicted seconds per step, from the rates measured so far (work units per second)."""

    config: ValidationConfig
    datasheet: Datasheet | None = None
    rates: dict[tuple[str, str], float] = field(default_factory=dict)  # (device, kind) -> rate
    residuals: list[float] = field(default_factory=list)  # seconds beyond the calls, per step

    def rate(self, step: Step) -> float | None:
        """The measured rate of the step's kind, else a borrowed one (see the module)."""
        known = self.rates.get((step.device, step.kind))
        if known is not None or not step.kind.startswith("matmul "):
            return known
        matmuls = {
            kind[len("matmul ") :]: rate
            for (device, kind), rate in self.rates.items()
            if device == step.device and kind.startswith("matmul ")
        }
        if not matmuls:
            return None
        dtype = step.kind[len("matmul ") :]
        if self.datasheet is not None and step.device != "cpu":
            peak = self.datasheet.peak_tflops(dtype)
            for other, rate in matmuls.items():
                other_peak = self.datasheet.peak_tflops(other)
                if peak and other_peak:
                    return rate * peak / other_peak
        return min(matmuls.values())

    def calls_seconds(self, step: Step) -> float:
        """Seconds the step's calls take: probe, warm-up and timed window."""
        if step.skip:
            return 0.0
        c = self.config
        rate = self.rate(step)
        if not rate:
            return c.warmup_s + c.measure_s
        per_call = step.work_per_call / rate
        low, high = WARMUP_CALLS
        warmup = min(high * per_call, max(low * per_call, c.warmup_s))
        timed = min(c.max_repeats * per_call, max(c.min_repeats * per_call, c.measure_s))
        return PROBE_CALLS * per_call + warmup + timed

    @property
    def overhead_s(self) -> float:
        """Measured set-up seconds per step beyond its calls (0 until measured)."""
        return statistics.median(self.residuals) if self.residuals else 0.0

    def seconds(self, step: Step) -> float:
        """Predicted seconds for the whole step, set-up included."""
        return 0.0 if step.skip else self.calls_seconds(step) + self.overhead_s

    def learn(self, step: Step, result: Result, seconds: float, first: bool) -> None:
        """Record the step's measured rate and (after the first step) its set-up time."""
        timing = result.timing
        if timing and timing.get("median_s"):
            self.rates[(step.device, step.kind)] = timing["work_per_call"] / timing["median_s"]
        if not first and not result.skipped:
            self.residuals.append(max(0.0, seconds - self.calls_seconds(step)))


@dataclass
class ValidationRun:
    """`validation_steps` run in order, reporting progress in predicted seconds of work."""

    config: ValidationConfig
    device: Any
    peaks: Peaks = field(default_factory=Peaks)
    clock: Callable[[], float] = time.perf_counter
    steps: list[Step] = field(init=False)
    model: CostModel = field(init=False)

    def __post_init__(self) -> None:
        self.steps = validation_steps(self.config, self.device, self.peaks)
        self.model = CostModel(self.config, self.peaks.datasheet)

    def remaining_s(self, start: int = 0) -> float:
        """Predicted seconds for the steps from index `start` on."""
        return sum(self.model.seconds(step) for step in self.steps[start:])

    def run(self, progress: ProgressFn = no_progress) -> list[Result]:
        """Every result in order. `progress(done, total, note)` counts seconds: a finished step
        its measured seconds, a remaining one its predicted seconds."""
        results: list[Result] = []
        done = 0.0
        for index, step in enumerate(self.steps):
            progress(done, _positive(done + self.remaining_s(index)), step.label)
            started = self.clock()
            result = step.run()
            seconds = self.clock() - started
            self.model.learn(step, result, seconds, first=not results)
            results.append(result)
            done += seconds
        progress(done, _positive(done), "done")
        return results


def estimated_seconds(run: ValidationRun) -> float:
    """The run's predicted seconds before it starts: a positive progress-bar total."""
    return _positive(run.remaining_s())


def run_validation(
    config: ValidationConfig,
    device: Any,
    peaks: Peaks | None = None,
    progress: ProgressFn = no_progress,
) -> list[Result]:
    """Run every measurement of `config` on `device` (see `ValidationRun.run`)."""
    return ValidationRun(config, device, peaks or Peaks()).run(progress)


def _positive(seconds: float) -> float:
    return seconds if seconds > 0 and math.isfinite(seconds) else 1e-9
