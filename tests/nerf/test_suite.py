"""A whole run at smoke sizes: both models beat the mean-colour baseline on held-out views, the
curves are measured points, and the views and orbit are rendered."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from gpulab.workloads.nerf import NerfConfig, NerfResult, meaning_text, run_nerf, summary_rows


@pytest.fixture(scope="module")
def result() -> NerfResult:
    # step limits, not seconds, end training: the figures do not depend on the machine's load
    config = replace(
        NerfConfig.for_profile("smoke"),
        ours_seconds=math.inf,
        vanilla_seconds=math.inf,
        ours_max_steps=120,
        vanilla_max_steps=40,
        eval_every_s=math.inf,
    )
    return run_nerf(config)


def test_ours_beats_the_mean_colour(result: NerfResult) -> None:
    assert result.test_psnr["ours"] > result.baseline_psnr + 3
    assert result.test_psnr["vanilla"] > result.baseline_psnr


def test_curves_are_measured(result: NerfResult) -> None:
    for name, curve in result.curves.items():
        assert curve.steps == {"ours": 120, "vanilla": 40}[name]
        assert curve.points and curve.points[-1]["step"] == curve.steps
        assert curve.stopped == "step limit"


def test_views_and_orbit(result: NerfResult) -> None:
    size = result.config.image_size
    assert result.views["ours"].shape == (size, size, 3)
    assert np.isfinite(result.views["ours_depth"]).all()
    assert len(result.orbit) == result.config.orbit_frames
    assert 0 < result.stats["samples_evaluated_fraction"] <= 1


def test_display(result: NerfResult) -> None:
    rows = summary_rows(result)
    assert [r["model"] for r in rows] == ["ours (hash grid)", "vanilla NeRF"]
    assert "CPU with CPU" in meaning_text(result)
