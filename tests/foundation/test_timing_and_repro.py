import random

import numpy as np
import pytest
import torch

from gpulab.repro import seed_everything
from gpulab.timing import Timing, benchmark, percentile


def test_percentiles_interpolate() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 10) == pytest.approx(1.4)
    assert percentile(values, 100) == 5.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_benchmark_discards_warmup_and_times_each_repeat() -> None:
    calls = []
    timing = benchmark(lambda: calls.append(1), warmup=4, repeats=7, work_per_call=32, unit="rows")
    assert len(calls) == 11
    assert timing.repeats == 7 and timing.warmup == 4
    assert timing.method == "perf_counter"
    assert timing.min_s <= timing.p10_s <= timing.median_s <= timing.p90_s
    assert timing.throughput == pytest.approx(32 / timing.median_s)
    assert timing.to_dict()["throughput_unit"] == "rows/s"


def test_timing_statistics_come_from_the_samples() -> None:
    timing = Timing([0.3, 0.1, 0.2, 0.4], method="given", warmup=0, work_per_call=2)
    assert timing.median_s == pytest.approx(0.25)
    assert timing.min_s == 0.1 and timing.mean_s == pytest.approx(0.25)
    assert timing.throughput == pytest.approx(8.0)


def test_benchmark_rejects_zero_repeats() -> None:
    with pytest.raises(ValueError):
        benchmark(lambda: None, repeats=0)


def test_seeding_makes_every_generator_repeat() -> None:
    def draw() -> tuple[float, float, float]:
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first


def test_deterministic_mode_is_switchable() -> None:
    seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    seed_everything(0)
    assert not torch.are_deterministic_algorithms_enabled()
    with pytest.raises(ValueError):
        seed_everything(-1)


def test_a_timing_with_a_far_slower_tail_is_flagged_noisy() -> None:
    from gpulab.timing import Timing

    steady = Timing([0.010] * 20, "perf_counter", warmup=1)
    spiky = Timing([0.046] * 19 + [0.677], "perf_counter", warmup=1)
    assert not steady.noisy and steady.noise_note() == ""
    assert spiky.noisy
    assert "noisy" in spiky.spread() and "the median" in spiky.noise_note()
    assert spiky.to_dict()["noisy"] is True


def test_spread_shows_median_and_p10_p90_in_readable_units() -> None:
    from gpulab.timing import Timing, format_seconds

    timing = Timing([0.0440, 0.0461, 0.0523], "perf_counter", warmup=0)
    assert timing.spread().startswith("46.1 ms (p10-p90 44.4 ms-51.1 ms, 3 runs)")
    assert format_seconds(2.5) == "2.5 s" and format_seconds(3.2e-5) == "32 µs"
