"""The ladder on the tiny pipeline: eager rungs run and match, GPU-only rungs say so, lossy rungs
stand apart, side rungs are undone, and the progress reaches its planned total."""

from __future__ import annotations

import dataclasses

import pytest

from gpulab import deps
from gpulab.errors import UsageError
from gpulab.workloads.diffusion import (
    GPU_ONLY,
    UNVERIFIED,
    DiffusionConfig,
    LadderResult,
    planned_work,
    run_ladder,
)


@pytest.fixture(scope="module")
def ladder() -> LadderResult:
    config = dataclasses.replace(DiffusionConfig.for_profile("smoke"), device="cpu")
    seen: list[float] = []
    result = run_ladder(config, progress=lambda done, total, note="": seen.append(done))
    result.config["_progress"] = seen
    return result


def test_eager_lossless_rungs_run_and_match_the_default(ladder: LadderResult) -> None:
    for name in ("default", "channels_last", "fused_qkv"):
        row = ladder.rung(name)
        assert row is not None and row.ran, row and row.reason
        assert row.verified and row.drift.max_abs_diff < 1e-4
        assert row.timing.repeats == 2 and row.s_per_image > 0 and row.it_per_s > 0
    assert ladder.seed_check.identical  # the default made twice, same seed


def test_compile_rungs_are_gpu_only_on_a_cpu(ladder: LadderResult) -> None:
    for name in ("compile", "max_autotune"):
        row = ladder.rung(name)
        assert row.status == "skipped" and row.reason == GPU_ONLY
    tensorrt = ladder.rung("tensorrt")
    expected = UNVERIFIED if not deps.is_available("torch_tensorrt") else GPU_ONLY
    assert tensorrt.status == "skipped" and tensorrt.reason.startswith(expected)


def test_lossy_rungs_are_apart_with_their_drift(ladder: LadderResult) -> None:
    fewer = ladder.rung("fewer_steps")
    assert fewer.ran and fewer.lossy and fewer.steps == 2 and fewer.verified is None
    assert fewer.drift.max_abs_diff > 0.01  # another sampler, fewer steps: another image
    assert ladder.rung("tiny_vae").ran and ladder.rung("deepcache").ran
    best_lossy = ladder.best(lossy=True)
    assert best_lossy.lossy and ladder.best(lossy=False).lossy is False


def test_side_rungs_are_undone(smoke: DiffusionConfig) -> None:
    # tiny VAE and fewer steps, then a lossless rung: its image is the default's again
    config = dataclasses.replace(smoke, rungs=("default", "tiny_vae", "fewer_steps", "fused_qkv"))
    result = run_ladder(config)
    assert result.rung("tiny_vae").drift.max_abs_diff > 0.01
    assert result.rung("fused_qkv").drift.max_abs_diff < 1e-4


def test_progress_reaches_the_planned_total(ladder: LadderResult) -> None:
    seen = ladder.config["_progress"]
    config = DiffusionConfig(**{k: v for k, v in ladder.config.items() if k != "_progress"})
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(planned_work(config, "cpu"))


def test_parameters_are_counted_from_the_built_networks(ladder: LadderResult) -> None:
    assert set(ladder.parameters_m) == {"unet", "vae", "text_encoder"}
    assert 0 < ladder.parameters_m["unet"] < 5


def test_a_bad_config_stops_the_ladder(smoke: DiffusionConfig) -> None:
    with pytest.raises(UsageError, match="multiple of 8"):
        run_ladder(dataclasses.replace(smoke, width=63))
