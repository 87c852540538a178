"""Bad settings fail before anything runs, with a message that says what to do."""

from __future__ import annotations

import dataclasses

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.diffusion import DiffusionConfig


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"height": 500}, "multiple of 8.*try 504"),
        ({"width": 4}, "multiple of 8"),
        ({"steps": 0}, "steps must be between 1"),
        ({"batch": 0}, "batch must be at least 1"),
        ({"scheduler": "lms"}, "unknown scheduler 'lms'"),
        ({"rungs": ("compile",)}, "starts at 'default'"),
        ({"rungs": ("default", "turbo")}, "unknown rung"),
        ({"model": "  "}, "name a model"),
        ({"guidance": -1.0}, "guidance must lie"),
        ({"cpu_threads": 0}, "cpu_threads"),
    ],
)
def test_bad_settings_are_named(change: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        dataclasses.replace(DiffusionConfig(), **change).validate()


def test_profiles() -> None:
    smoke, full = DiffusionConfig.for_profile("smoke"), DiffusionConfig.for_profile("full")
    assert smoke.model == "tiny" and (smoke.height, smoke.steps) == (64, 4)
    assert full.model == "sd15" and (full.height, full.width) == (512, 512)
    assert full.random_weights and not dataclasses.replace(full, model="x/y").random_weights
    bench = DiffusionConfig.bench_for_profile("full")
    assert (bench.steps, bench.batch, bench.throughput_batch, bench.height) == (50, 1, 8, 512)
    for config in (smoke, full, bench):
        assert config.validate() is config
    with pytest.raises(UsageError):
        DiffusionConfig.for_profile("huge")
