"""The profiles' sizes, bad settings and the memory check of a ray batch."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.nerf import NerfConfig, check_fits, chosen_config, step_bytes


def test_full_profile_is_the_papers_grid() -> None:
    full = NerfConfig.for_profile("full")
    assert (full.levels, full.features, full.log2_table) == (16, 2, 19)
    assert full.image_size >= 400 and full.n_train == 100 and full.n_test == 20
    assert full.ours_seconds <= 60 and full.vanilla_seconds <= 60
    bench = NerfConfig.bench_for_profile("full")
    assert bench.vanilla_seconds == 300 and bench.ours_seconds == 90
    assert bench.stop_at_psnr == 30 and bench.ours_chases_vanilla


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_test": 0}, "held-out"),
        ({"batch_rays": 0}, "batch_rays=0"),
        ({"log2_table": 30}, "log2_table"),
        ({"ours_seconds": 0}, "time budgets"),
        ({"encoding": "cuda"}, "encoding .cuda.: choose one of auto"),
    ],
)
def test_bad_settings(change: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        replace(NerfConfig(), **change).validate()


def test_ray_batch_too_large_for_memory() -> None:
    config = replace(NerfConfig.for_profile("smoke"), batch_rays=10**9)
    with pytest.raises(UsageError, match="lower batch_rays to"):
        check_fits(config, "cpu")


def test_batch_estimate_scales_with_rays() -> None:
    small = step_bytes(NerfConfig())
    big = step_bytes(replace(NerfConfig(), batch_rays=2 * NerfConfig().batch_rays))
    assert big["ours"] == 2 * small["ours"] and big["vanilla"] == small["vanilla"]


def test_controls_report_a_bad_choice() -> None:
    config, error = chosen_config(NerfConfig(), "procedural", 64, 0, 10, 10, 256)
    assert config is None and "zero training views" in error
    config, error = chosen_config(NerfConfig(), "", 64, 5, 10, 10, 256)
    assert error == "" and config.procedural and config.vanilla_batch_rays == 256


def test_the_graph_control_reaches_the_config() -> None:
    off, _ = chosen_config(NerfConfig(), "", 64, 5, 10, 10, 256, False)
    kept, _ = chosen_config(replace(NerfConfig(), cuda_graph=False), "", 64, 5, 10, 10, 256)
    assert off.cuda_graph is False and kept.cuda_graph is False
    assert chosen_config(NerfConfig(), "", 64, 5, 10, 10, 256, True)[0].cuda_graph is True
