"""`gpulab bench inference`: the headline ratio and what the report carries."""

from __future__ import annotations

import pytest
import torch

from gpulab.benchmarks import inference as bench
from gpulab.errors import UsageError
from gpulab.workloads.inference import LadderConfig, run_ladder

QUICK = {"warmup": 0, "repeats": 1, "min_repeats": 1, "rung_budget_s": 0.1}


@pytest.fixture(scope="module")
def ladders() -> list:
    rungs = ("eager-fp32", "tf32", "bf16", "tensorrt")
    return [
        run_ladder(LadderConfig.smoke("cnn", rungs=rungs, fast_precision="bf16", **QUICK)),
        run_ladder(LadderConfig.smoke("transformer", rungs=rungs, **QUICK)),
    ]


def test_ratio_is_best_verified_cnn_rung_over_eager_fp32(ladders: list) -> None:
    result = bench.summarise(ladders)
    cnn = ladders[0]
    best = cnn.best_verified()
    assert result.ours == best.samples_per_s
    assert result.peer_value == cnn.get("eager-fp32").samples_per_s
    assert result.ratio == pytest.approx(best.samples_per_s / result.peer_value)
    assert result.details["best_rung"] == best.rung
    assert result.details["goal_met"] == (result.ratio >= bench.GOAL)


def test_details_hold_every_rung_of_both_models_and_the_tensorrt_status(ladders: list) -> None:
    details = bench.summarise(ladders).details
    assert set(details["ladders"]) == {"resnet-tiny", "bert-tiny"}
    for ladder in details["ladders"].values():
        names = [r["rung"] for r in ladder["rungs"]]
        assert names == ["eager-fp32", "tf32", "bf16", "tensorrt"]
        assert all("latencies_ms" not in r for r in ladder["rungs"])  # reports stay small
    assert details["tensorrt"]["status"] == "skipped"


def test_headline_without_an_fp32_reference_is_a_clear_error(ladders: list) -> None:
    broken = run_ladder(LadderConfig.smoke("cnn", rungs=("eager-fp32",), **QUICK))
    broken.rungs[0].status, broken.rungs[0].reason = "failed", "planted"
    with pytest.raises(UsageError, match="eager-fp32 reference failed"):
        bench.summarise([broken])


def test_full_profile_without_a_gpu_is_a_clear_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(UsageError, match="needs a CUDA GPU"):
        bench.run("full")


def test_max_autotune_is_enabled_only_by_its_environment_variable(monkeypatch) -> None:
    monkeypatch.delenv(bench.MAX_AUTOTUNE_ENV, raising=False)
    assert not any(c.allow_max_autotune for c in bench.configs("full"))
    monkeypatch.setenv(bench.MAX_AUTOTUNE_ENV, "1")
    assert all(c.allow_max_autotune for c in bench.configs("full"))
    assert [c.model for c in bench.configs("full")] == ["resnet50", "bert-base"]
    assert all(c.batch == 64 for c in bench.configs("full"))
