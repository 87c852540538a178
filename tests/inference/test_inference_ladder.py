"""The ladder on the CPU: eager, compile and ONNX Runtime rungs, measured and checked for real."""

from __future__ import annotations

import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads.inference import (
    LadderConfig,
    LadderResult,
    onnx_providers,
    plan_rungs,
    run_ladder,
)

# For tests about statuses, not speed: as few timed calls as the ladder allows.
QUICK = {"warmup": 0, "repeats": 1, "min_repeats": 1, "rung_budget_s": 0.1}


def smoke(family: str, **overrides: object) -> LadderConfig:
    """The smoke bench's ladder (tiny model, on the CPU) with a test's overrides."""
    return LadderConfig.bench_for_profile("smoke", family, **overrides)


@pytest.fixture(scope="module")
def smoke_ladder() -> LadderResult:
    """The CI ladder: tiny ResNet, eager FP32 -> torch.compile (inductor) -> ONNX Runtime."""
    return run_ladder(smoke("cnn"))


def test_smoke_ladder_measures_eager_compile_and_onnxruntime(smoke_ladder: LadderResult) -> None:
    assert [r.rung for r in smoke_ladder.rungs] == ["eager-fp32", "compile", "onnxruntime"]
    for rung in smoke_ladder.rungs:
        assert rung.ok, rung.reason
        assert rung.verified, rung.drift
        assert len(rung.latencies_ms) >= 5
        assert rung.p50_ms <= rung.p90_ms <= rung.p99_ms
        # throughput counts samples: batch / median latency, not calls per second
        assert rung.samples_per_s == pytest.approx(4 / (rung.p50_ms / 1000))
        assert rung.first_call_s is not None and rung.first_call_s > 0
    compiled = smoke_ladder.get("compile")
    assert "inductor" in compiled.backend
    assert "CPUExecutionProvider" in smoke_ladder.get("onnxruntime").backend
    assert (
        smoke_ladder.get("onnxruntime").setup_s > 0
    )  # export + session, kept apart from steady state


def test_speedups_are_ratios_of_measured_throughput(smoke_ladder: LadderResult) -> None:
    eager = smoke_ladder.get("eager-fp32")
    compiled = smoke_ladder.get("compile")
    assert eager.speedup_vs_fp32 == 1.0
    assert compiled.speedup_vs_fp32 == pytest.approx(compiled.samples_per_s / eager.samples_per_s)
    assert compiled.baseline == "eager-fp32"  # the smoke ladder's fast precision is fp32
    assert compiled.speedup_matched == compiled.speedup_vs_fp32
    best = smoke_ladder.best_verified()
    assert best is not None
    assert best.samples_per_s == max(r.samples_per_s for r in smoke_ladder.rungs)


def _corrupting_backend(graph_module: torch.fx.GraphModule, example_inputs: list) -> object:
    """A compiler that runs the graph, then hands every sample its neighbour's result."""

    def run(*args: torch.Tensor) -> object:
        outputs = graph_module(*args)
        return type(outputs)(o.roll(1, dims=0) for o in outputs)

    return run


def _failing_backend(graph_module: torch.fx.GraphModule, example_inputs: list) -> object:
    raise RuntimeError("planted compiler failure")


def test_rung_with_wrong_output_is_not_verified_and_never_best() -> None:
    config = smoke(
        "cnn", rungs=("eager-fp32", "compile"), compile_backend=_corrupting_backend, **QUICK
    )
    result = run_ladder(config)
    compiled = result.get("compile")
    assert compiled.ok and not compiled.verified
    assert "relative error" in compiled.drift.reason
    assert result.best_verified().rung == "eager-fp32"


def test_compile_failure_and_unknown_rung_fail_alone_while_the_ladder_goes_on() -> None:
    config = smoke(
        "transformer",
        rungs=("eager-fp32", "no-such-rung", "compile", "cuda-graphs", "tensorrt", "onnxruntime"),
        onnx_exporter="torchscript",
        compile_backend=_failing_backend,
        **QUICK,
    )
    result = run_ladder(config)
    status = {r.rung: r.status for r in result.rungs}
    assert status == {
        "eager-fp32": "ok",
        "compile": "failed",
        "cuda-graphs": "skipped",
        "tensorrt": "skipped",
        "onnxruntime": "ok",
        "no-such-rung": "failed",
    }
    assert "planted compiler failure" in result.get("compile").reason
    assert "unknown rung 'no-such-rung'" in result.get("no-such-rung").reason
    assert "CUDA" in result.get("cuda-graphs").reason
    tensorrt = result.get("tensorrt").reason
    assert "pip install torch-tensorrt" in tensorrt or "GPU" in tensorrt
    assert result.get("onnxruntime").verified


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_both_onnx_exporters_give_verified_onnxruntime_rungs(exporter: str) -> None:
    config = smoke(
        "transformer", rungs=("eager-fp32", "onnxruntime"), onnx_exporter=exporter, **QUICK
    )
    rung = run_ladder(config).get("onnxruntime")
    assert rung.ok, rung.reason
    assert f"({exporter} exporter)" in rung.backend
    assert rung.verified and rung.drift.top1_agreement is None
    assert rung.drift.relative_error_max < 1e-4


def test_ladder_plan_adds_the_reference_and_precision_matched_baselines() -> None:
    config = LadderConfig(model="resnet50", rungs=("cuda-graphs", "compile", "onnxruntime-fp16"))
    assert plan_rungs(config) == ["eager-fp32", "bf16", "fp16", "compile", "cuda-graphs"] + [
        "onnxruntime-fp16"
    ]
    typo = LadderConfig(model="resnet50", rungs=("compile", "compiel"))
    assert plan_rungs(typo)[-1] == "compiel"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"batch": 0}, "batch size"),
        ({"model": "vgg"}, "unknown model"),
        ({"fast_precision": "int8"}, "fast_precision"),
        ({"resolution": 8}, "resolution"),
        ({"onnx_exporter": "tf2onnx"}, "exporter"),
        ({"rungs": ()}, "no rungs chosen"),
    ],
)
def test_invalid_config_is_a_clear_error(overrides: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        LadderConfig(**overrides)


def test_asking_for_cuda_without_a_gpu_is_a_clear_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(UsageError, match="no CUDA GPU"):
        run_ladder(smoke("cnn", device="cuda"))


def test_onnx_providers_prefer_tensorrt_then_cuda_then_cpu() -> None:
    available = ["CPUExecutionProvider", "AzureExecutionProvider", "CUDAExecutionProvider"]
    assert onnx_providers(available) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert onnx_providers([*available, "TensorrtExecutionProvider"])[0] == (
        "TensorrtExecutionProvider"
    )


def test_max_autotune_is_opt_in() -> None:
    config = smoke("cnn", rungs=("eager-fp32", "max-autotune"), **QUICK)
    rung = run_ladder(config).get("max-autotune")
    assert rung.status == "skipped" and "opt-in" in rung.reason
