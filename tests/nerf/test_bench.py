"""`gpulab bench nerf`: the smoke profile writes the contract's JSON from a real run, with no
ratio on the CPU; the full profile refuses without a CUDA GPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpulab.benchmarks import available, run_benchmark
from gpulab.errors import UsageError


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
