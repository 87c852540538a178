"""Ladders built from chosen timings, for tests about what is shown rather than what is measured."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gpulab.timing import Timing
from gpulab.workloads.inference import LadderConfig, LadderResult, RungResult
from gpulab.workloads.inference.ladder import attribute_speedups

CLEAN_EAGER = [0.046] * 19 + [0.047]  # seconds per batch
# The busy-CPU case a user met: p50 46 ms, a few calls stalled far beyond it.
NOISY_EAGER = [0.046] * 17 + [0.30, 0.677, 0.677]
FAST = [0.00011] * 20

LadderOf = Callable[[list[float]], LadderResult]


def measured_rung(name: str, samples_s: list[float], precision: str = "fp32") -> RungResult:
    """A verified CPU rung whose timed calls took `samples_s` seconds each (batch 4)."""
    result = RungResult(
        rung=name,
        status="ok",
        precision=precision,
        device="cpu",
        baseline="eager-fp32" if precision == "fp32" else precision,
        builds_on=None if name == "eager-fp32" else "eager-fp32",
        verified=True,
    )
    result.record_timing(Timing(samples_s, "perf_counter", 2, work_per_call=4, unit="samples"))
    return result


def ladder_with(eager_samples_s: list[float]) -> LadderResult:
    """The smoke ladder's shape: eager-fp32 timed as given, then a fast, clean onnxruntime."""
    rungs = [measured_rung("eager-fp32", eager_samples_s), measured_rung("onnxruntime", FAST)]
    attribute_speedups(rungs)
    config = LadderConfig.for_profile("smoke")
    return LadderResult(config, "tiny ResNet (smoke)", "random weights", "cpu", rungs)


@pytest.fixture
def noisy_ladder() -> LadderResult:
    return ladder_with(NOISY_EAGER)


@pytest.fixture
def clean_ladder() -> LadderResult:
    return ladder_with(CLEAN_EAGER)
