"""Real loading: a saved pipeline loads from its folder and makes the same images; an unknown
model offline names the local-folder alternative."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from gpulab.errors import UsageError
from gpulab.workloads.diffusion import (
    DiffusionConfig,
    Settings,
    build_pipeline,
    generate,
    set_scheduler,
)


def test_an_unknown_model_offline_names_the_local_folder(smoke: DiffusionConfig) -> None:
    config = dataclasses.replace(smoke, model="nobody/no-such-diffusion-model")
    with pytest.raises(UsageError, match="local folder holding a diffusers pipeline"):
        build_pipeline(config, "cpu")


def test_a_folder_that_is_not_a_pipeline_is_named(smoke: DiffusionConfig, tmp_path: Path) -> None:
    config = dataclasses.replace(smoke, model=str(tmp_path))
    with pytest.raises(UsageError, match="without model_index.json"):
        build_pipeline(config, "cpu")


def test_a_saved_pipeline_loads_from_its_folder(smoke: DiffusionConfig, tmp_path: Path) -> None:
    random_pipe = build_pipeline(smoke, "cpu")
    random_pipe.save_pretrained(tmp_path)
    loaded = build_pipeline(dataclasses.replace(smoke, model=str(tmp_path)), "cpu")
    settings = Settings.of(smoke)
    # the same weights and seed: equal up to float32 rounding in the loaded modules' kernels
    np.testing.assert_allclose(
        generate(random_pipe, settings), generate(loaded, settings), rtol=0, atol=1e-5
    )
    assert loaded.tokenizer.model_max_length == 77


@pytest.mark.parametrize("name", ["dpm++", "euler", "ddim", "pndm"])
def test_each_scheduler_keeps_sd15s_noise_schedule(smoke: DiffusionConfig, name: str) -> None:
    pipe = build_pipeline(smoke, "cpu")
    set_scheduler(pipe, name)
    config = pipe.scheduler.config
    assert (config.beta_start, config.beta_end) == (0.00085, 0.012)
    assert config.beta_schedule == "scaled_linear"
    if name == "dpm++":
        assert config.algorithm_type == "dpmsolver++"
    images = generate(pipe, Settings.of(smoke))
    assert images.shape == (2, 64, 64, 3) and np.isfinite(images).all()
