"""`gpulab bench inference`: the headline ratio and what the report carries."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

from gpulab.benchmarks import inference as bench
from gpulab.errors import UsageError
from gpulab.timing import Timing
from gpulab.workloads.inference import LadderConfig, run_ladder

QUICK = {"warmup": 0, "repeats": 1, "min_repeats": 1, "rung_budget_s": 0.1}


def smoke(family: str, **overrides: object) -> LadderConfig:
    """The smoke bench's ladder (tiny model, on the CPU) with a test's overrides."""
    return LadderConfig.bench_for_profile("smoke", family, **overrides)


@pytest.fixture(scope="module")
def ladders() -> list:
    rungs = ("eager-fp32", "tf32", "bf16", "tensorrt")
    return [
        run_ladder(smoke("cnn", rungs=rungs, fast_precision="bf16", **QUICK)),
        run_ladder(smoke("transformer", rungs=rungs, **QUICK)),
    ]


def _as_if_on_a_gpu(ladder: Any) -> Any:
    """The same measurements, labelled as a GPU ladder's (the ratio's arithmetic, not its device)."""
    copied = copy.deepcopy(ladder)
    copied.device = "NVIDIA test GPU"
    for rung in copied.rungs:
        rung.device = "cuda" if rung.ok else rung.device
    return copied


def test_ratio_is_best_verified_cnn_rung_over_eager_fp32(ladders: list) -> None:
    result = bench.summarise([_as_if_on_a_gpu(ladder) for ladder in ladders])
    cnn = ladders[0]
    best = cnn.best_verified()
    assert result.ours == best.samples_per_s
    assert result.peer_value == cnn.get("eager-fp32").samples_per_s
    assert result.ratio == pytest.approx(best.samples_per_s / result.peer_value)
    assert result.details["best_rung"] == best.rung


def test_a_ladder_timed_on_the_cpu_gives_no_ratio(ladders: list) -> None:
    result = bench.summarise(ladders)
    assert result.ratio is None and "ran on the CPU" in result.no_ratio_because
    assert result.ours == ladders[0].best_verified().samples_per_s  # the figures stay recorded


def test_a_noisy_timing_behind_the_ratio_is_named(ladders: list) -> None:
    noisy = _as_if_on_a_gpu(ladders[0])
    eager = noisy.get("eager-fp32")
    samples = [0.01] * 17 + [0.5, 0.5, 0.5]
    eager.record_timing(Timing(samples, "cuda-events", 0, work_per_call=4, unit="samples"))
    details = bench.summarise([noisy]).details
    assert details["noise"].startswith("noisy: eager-fp32 p99")
    assert "noisy" in details["headline"]
    assert bench.summarise([_as_if_on_a_gpu(ladders[0])]).details["noise"] is None


def test_details_hold_every_rung_of_both_models_and_the_tensorrt_status(ladders: list) -> None:
    details = bench.summarise(ladders).details
    assert set(details["ladders"]) == {"resnet-tiny", "bert-tiny"}
    for ladder in details["ladders"].values():
        names = [r["rung"] for r in ladder["rungs"]]
        assert names == ["eager-fp32", "tf32", "bf16", "tensorrt"]
        assert all("latencies_ms" not in r for r in ladder["rungs"])  # reports stay small
    assert details["tensorrt"]["status"] == "skipped"


def test_details_record_the_config_each_ladder_ran(ladders: list) -> None:
    recorded = bench.summarise(ladders).details["config"]
    assert list(recorded) == ["resnet-tiny", "bert-tiny"]
    assert recorded["resnet-tiny"] == ladders[0].config.to_dict()
    assert recorded["bert-tiny"]["device"] == "cpu" and recorded["bert-tiny"]["batch"] == 4


def test_headline_without_an_fp32_reference_is_a_clear_error(ladders: list) -> None:
    broken = run_ladder(smoke("cnn", rungs=("eager-fp32",), **QUICK))
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


def test_models_env_picks_ladders_in_headline_order(monkeypatch) -> None:
    monkeypatch.setenv(bench.MODELS_ENV, "bert-base")
    assert [c.model for c in bench.configs("full")] == ["bert-base"]
    monkeypatch.setenv(bench.MODELS_ENV, " bert-base, resnet50 ")
    assert [c.model for c in bench.configs("full")] == ["resnet50", "bert-base"]
    monkeypatch.setenv(bench.MODELS_ENV, "resnet50,vgg")
    with pytest.raises(UsageError, match="unknown model.*vgg"):
        bench.configs("full")


def _report(models: dict[str, float], seconds: float, device: str = "H100") -> dict:
    return {
        "benchmark": "inference",
        "profile": "full",
        "device": device,
        "ours": max(models.values()),
        "seconds": seconds,
        "created": f"t{seconds}",
        "telemetry": {"0": {"seconds": seconds}},
        "details": {
            "max_autotune": "ran",
            "ladders": {m: {"model": m, "best": v} for m, v in models.items()},
        },
    }


def test_merge_keeps_the_headline_run_and_adds_the_other_ladders() -> None:
    bert, resnet = _report({"bert-base": 2.0}, 100.0), _report({"resnet50": 7.0}, 400.0)
    merged = bench.merge_reports([bert, resnet])
    assert merged["ours"] == 7.0  # headline from the ResNet-50 run, whatever the order
    assert list(merged["details"]["ladders"]) == ["resnet50", "bert-base"]
    assert merged["details"]["ladders"]["bert-base"]["best"] == 2.0
    assert merged["seconds"] == 500.0
    assert [r["models"] for r in merged["details"]["runs"]] == [["bert-base"], ["resnet50"]]
    assert resnet["details"]["ladders"] == {"resnet50": {"model": "resnet50", "best": 7.0}}


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        ([], "nothing to merge"),
        ([_report({"bert-base": 1.0}, 1.0)], "no resnet50 ladder"),
        ([_report({"resnet50": 1.0}, 1.0), _report({"resnet50": 2.0}, 2.0)], "more than one"),
        (
            [_report({"resnet50": 1.0}, 1.0), _report({"bert-base": 1.0}, 1.0, device="L4")],
            "different devices",
        ),
    ],
)
def test_merge_refuses_what_it_cannot_join(reports: list, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        bench.merge_reports(reports)
