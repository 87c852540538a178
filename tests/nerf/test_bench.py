"""`gpulab bench nerf`: the smoke profile writes the contract's JSON from a real run, with no
ratio on the CPU; the full profile refuses without a CUDA GPU."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from gpulab.benchmarks import available, run_benchmark
from gpulab.errors import UsageError
from gpulab.workloads.nerf import NerfConfig


def test_registered() -> None:
    assert "nerf" in available()


def test_smoke_report(tmp_path: Path) -> None:
    report = run_benchmark("nerf", "smoke", tmp_path)
    assert (tmp_path / "nerf.json").exists()
    assert report["ratio"] is None and report["higher_is_better"] is False
    details = report["details"]
    assert details["config"]["ours_chases_vanilla"] is True
    assert details["curves"]["vanilla"]["points"]
    assert details["target_psnr"] == pytest.approx(details["curves"]["vanilla"]["best_psnr"])
    assert details["test_psnr"]["ours"] > details["mean_colour_psnr"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="the refusal is for machines without CUDA")
def test_full_needs_cuda() -> None:
    from gpulab.benchmarks.nerf import config_for

    with pytest.raises(UsageError, match="CUDA GPU"):
        config_for("full")


def test_a_psnr_is_read_only_where_the_curve_was_measured() -> None:
    from gpulab.benchmarks.nerf import psnr_at

    points = [{"seconds": s, "psnr": 20.0 + s} for s in (2.0, 4.1, 6.0, 8.2)]
    assert psnr_at(points, 6.5, every=2.0) == 26.0  # the last point at or before
    assert psnr_at(points, 1.0, every=2.0) is None  # nothing measured so early
    assert psnr_at(points, 60.0, every=2.0) is None  # the curve stopped at 8.2 s
    assert psnr_at(points, 10.0, every=2.0) == pytest.approx(28.2)  # within one interval


def test_targets_stop_training_only_after_the_floor() -> None:
    from gpulab.repro import seed_everything
    from gpulab.workloads.nerf import data as scenes
    from gpulab.workloads.nerf.methods import Ours
    from gpulab.workloads.nerf.suite import _probe
    from gpulab.workloads.nerf.training import Budget, train

    config = replace(NerfConfig.for_profile("smoke"), encoding="index_add")
    seed_everything(0)
    scene = scenes.load(config, "cpu")
    probe = _probe(scene, 64, torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(1)
    method = Ours(config, scene.bound, scene.background, "cpu")
    budget = Budget(30.0, 10**6, 0.2, stop_at=(0.0,), min_seconds=1.5)  # reached at once
    curve = train(method, scene.training_rays(), probe, budget, lambda curve: None, gen)
    assert curve.stopped.startswith("reached")
    assert 1.5 <= curve.seconds < 30.0 and curve.points[0]["seconds"] < 1.5
