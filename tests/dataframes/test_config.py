from __future__ import annotations

from dataclasses import asdict

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.dataframes import SIZES, SizeCap, SuiteConfig


def test_the_notebook_profiles_differ_in_sizes_and_top_up_time() -> None:
    smoke, full = SuiteConfig.for_profile("smoke"), SuiteConfig.for_profile("full")
    assert smoke.sizes == (10**4, 10**5) and smoke.min_time_s == 0.0
    assert full.sizes == (10**5, 10**6, 10**7) and full.min_time_s == 0.25
    assert smoke.operations == full.operations and smoke.engines == full.engines


def test_the_benchmark_runs_one_size_per_profile_with_its_own_top_up() -> None:
    smoke, full = SuiteConfig.bench_for_profile("smoke"), SuiteConfig.bench_for_profile("full")
    assert smoke.sizes == (10**4,) and (smoke.min_time_s, smoke.max_repeats) == (0.02, 10)
    assert full.sizes == (10**7,) and (full.min_time_s, full.max_repeats) == (0.5, 20)
    assert smoke.warmup == full.warmup == 1 and smoke.repeats == full.repeats == 3


def test_an_unknown_profile_or_an_empty_choice_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown profile"):
        SuiteConfig.for_profile("huge")
    with pytest.raises(UsageError, match="at least one operation"):
        SuiteConfig(operations=())
    with pytest.raises(UsageError, match="at least one table size"):
        SuiteConfig(sizes=())
    with pytest.raises(UsageError, match="positive"):
        SuiteConfig(sizes=(0,))


def test_a_config_survives_the_trip_to_a_worker_process() -> None:
    config = SuiteConfig.bench_for_profile("smoke")
    assert (
        SuiteConfig.from_dict(
            {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}
        )
        == config
    )


def test_a_size_that_does_not_fit_is_lowered_to_the_largest_that_does() -> None:
    cap = SizeCap(3 * 10**6, 2**30, None, 50.0, "host memory")
    assert cap.fit(10**6) == 10**6
    assert cap.fit(10**7) == 10**6
    assert SizeCap(10, 2**20, None, 50.0, "host memory").fit(10**4) == SIZES[0]
