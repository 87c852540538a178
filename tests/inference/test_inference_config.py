"""One mapping from profile to ladder sizes, the bench's differences spelled out, a cheap import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.inference import RUNG_ORDER, LadderConfig


@pytest.mark.parametrize(
    ("family", "model"), [("cnn", "resnet-tiny"), ("transformer", "bert-tiny")]
)
def test_smoke_is_a_tiny_model_with_the_rungs_that_need_no_gpu(family: str, model: str) -> None:
    config = LadderConfig.for_profile("smoke", family)
    assert (config.model, config.batch, config.resolution, config.seq_len) == (model, 4, 32, 16)
    assert config.rungs == ("eager-fp32", "compile", "onnxruntime")
    assert config.fast_precision == "fp32"
    assert (config.warmup, config.repeats, config.rung_budget_s) == (2, 20, 1.0)
    assert config.device is None  # the notebook uses a GPU where there is one


@pytest.mark.parametrize(("family", "model"), [("cnn", "resnet50"), ("transformer", "bert-base")])
def test_full_is_the_real_model_at_batch_64_without_max_autotune(family: str, model: str) -> None:
    config = LadderConfig.for_profile("full", family)
    assert (config.model, config.batch, config.resolution, config.seq_len) == (model, 64, 224, 128)
    assert config.rungs == tuple(r for r in RUNG_ORDER if r != "max-autotune")
    assert config.fast_precision == "bf16" and not config.allow_max_autotune
    assert (config.warmup, config.repeats, config.rung_budget_s) == (10, 100, 5.0)


def test_the_bench_pins_smoke_to_the_cpu_and_lists_max_autotune_in_full() -> None:
    for family in ("cnn", "transformer"):
        notebook, bench = (
            LadderConfig.for_profile("smoke", family),
            LadderConfig.bench_for_profile("smoke", family),
        )
        assert bench.device == "cpu" and bench == LadderConfig.for_profile(
            "smoke", family, device="cpu"
        )
        assert notebook.device is None
        full = LadderConfig.bench_for_profile("full", family)
        assert full.rungs == RUNG_ORDER and not full.allow_max_autotune
        assert full == LadderConfig.for_profile("full", family, rungs=RUNG_ORDER)


def test_unknown_profile_or_family_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="unknown profile"):
        LadderConfig.for_profile("huge")
    with pytest.raises(UsageError, match="model family"):
        LadderConfig.for_profile("smoke", "rnn")


def test_config_as_json_names_a_custom_compile_backend() -> None:
    def my_backend(graph: object, inputs: list) -> object:  # a stand-in, never called
        return graph

    data = LadderConfig.for_profile("smoke", compile_backend=my_backend).to_dict()
    assert data["compile_backend"] == "my_backend"
    assert json.loads(json.dumps(data))["rungs"] == ["eager-fp32", "compile", "onnxruntime"]


def test_importing_the_workload_loads_no_torch_transformers_or_onnx() -> None:
    code = (
        "import sys; from gpulab.workloads import inference; "
        "inference.RUNGS, inference.THRESHOLDS, inference.plan_rungs; "
        "print(sorted(m for m in ('torch', 'transformers', 'onnx', 'onnxruntime') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_torch_backed_names_load_on_first_use() -> None:
    from gpulab.workloads import inference

    assert inference.capture_cuda_graph.__name__ == "capture_cuda_graph"
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        inference.nothing_here  # noqa: B018
