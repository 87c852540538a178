"""Same seed and settings give the same images; the progress counts every denoising step."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gpulab.errors import UsageError
from gpulab.workloads.diffusion import (
    DiffusionConfig,
    Settings,
    build_pipeline,
    generate,
    run_generation,
    to_png,
)


def test_the_same_seed_reproduces_and_another_seed_does_not(smoke: DiffusionConfig) -> None:
    pipe = build_pipeline(smoke, "cpu")
    first = generate(pipe, Settings.of(smoke))
    np.testing.assert_array_equal(first, generate(pipe, Settings.of(smoke)))
    other = generate(pipe, Settings.of(dataclasses.replace(smoke, seed=1)))
    assert np.abs(first - other).max() > 0.01


def test_the_scheduler_changes_the_image(smoke: DiffusionConfig) -> None:
    pipe = build_pipeline(smoke, "cpu")
    pndm = generate(pipe, Settings.of(smoke))
    euler = build_pipeline(dataclasses.replace(smoke, scheduler="euler"), "cpu")
    assert np.abs(pndm - generate(euler, Settings.of(smoke))).max() > 0


def test_generation_checks_its_seed_and_reports_progress(smoke: DiffusionConfig) -> None:
    seen: list[float] = []
    generation = run_generation(smoke, progress=lambda done, total, note="": seen.append(done))
    assert generation.reproduced and generation.seed_check.identical
    assert seen == sorted(seen) and seen[-1] == pytest.approx(2 * smoke.steps)
    assert seen[len(seen) // 2 - 1] == pytest.approx(smoke.steps)  # the first call's end
    assert generation.images.shape == (smoke.batch, 64, 64, 3)
    assert generation.random_weights and generation.plan is None  # CPU: no GPU memory plan
    assert to_png(generation.images[0]).startswith(b"\x89PNG")


def test_a_long_prompt_is_truncated_and_reported(smoke: DiffusionConfig) -> None:
    config = dataclasses.replace(smoke, prompt="red " * 80 + "dragon")
    generation = run_generation(config)
    assert generation.prompt.truncated and generation.prompt.tokens == 83
    assert not generation.negative.truncated


def test_bad_input_stops_before_building(smoke: DiffusionConfig) -> None:
    with pytest.raises(UsageError, match="multiple of 8"):
        run_generation(dataclasses.replace(smoke, height=60))
    with pytest.raises(UsageError, match="steps must be"):
        run_generation(dataclasses.replace(smoke, steps=0))


def test_generate_uses_the_default_config() -> None:
    settings = Settings.of(DiffusionConfig())
    assert (settings.steps, settings.height, settings.batch) == (50, 512, 1)
