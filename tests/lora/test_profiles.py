"""Profiles: the notebook's sizes (`for_profile`), the benchmark's (`bench_for_profile`), and
`gpulab bench lora` recording the config it ran."""

from __future__ import annotations

import pytest

from gpulab.bench import BenchResult
from gpulab.benchmarks import lora as bench
from gpulab.workloads import lora


def test_full_bench_profile_is_the_gpu_speed_setting() -> None:
    full = lora.FinetuneConfig.bench_for_profile("full")
    assert full.model == "random:smollm2-135m"
    assert full.seq_len == 512
    assert not bench.TRAINER_BF16["full"]  # opt in: the best Trainer set-up runs bf16 already
    assert full.compile  # applied on CUDA only (see bench.run)


def _differences(a: lora.FinetuneConfig, b: lora.FinetuneConfig) -> set[str]:
    theirs = b.to_dict()
    return {name for name, value in a.to_dict().items() if theirs[name] != value}


def test_bench_sizes_differ_from_the_notebook_where_documented() -> None:
    """Exactly the differences `bench_for_profile`'s docstring names, nothing else."""
    notebook, measured = (
        lora.FinetuneConfig.for_profile("full"),
        lora.FinetuneConfig.bench_for_profile("full"),
    )
    assert _differences(notebook, measured) == {
        "model",
        "steps",
        "learning_rate",
        "warmup_steps",
        "log_every",
        "cuda_graph",
    }
    assert measured.cuda_graph and not notebook.cuda_graph
    # The notebook fine-tunes the real model briefly; the bench times random weights for longer.
    assert notebook.model == lora.SMOLLM2_GGUF and measured.model.startswith("random:")
    assert (notebook.steps, measured.steps) == (60, 150)
    assert (notebook.learning_rate, measured.learning_rate) == (1e-3, 2e-3)
    smoke = lora.FinetuneConfig.for_profile("smoke")
    bench_smoke = lora.FinetuneConfig.bench_for_profile("smoke")
    assert _differences(smoke, bench_smoke) == {
        "seq_len",
        "steps",
        "rank",
        "alpha",
        "max_documents",
        "log_every",
        "compile",
    }
    assert smoke.model == bench_smoke.model == "random:tiny-llama"
    assert (smoke.seq_len, bench_smoke.seq_len) == (64, 128)
    assert (smoke.rank, bench_smoke.rank) == (8, 16)
    assert not bench_smoke.compile


def test_unknown_profile_is_refused() -> None:
    from gpulab.errors import UsageError

    with pytest.raises(UsageError, match="unknown profile"):
        lora.FinetuneConfig.for_profile("huge")


def test_bench_records_the_config_it_ran(monkeypatch, capsys) -> None:
    ran = {}

    def fake_compare(config, measure_from, trainer_bf16, progress):
        ran.update(config=config, measure_from=measure_from, trainer_bf16=trainer_bf16)
        progress(1, 2, "half")  # the bench prints where a long run is
        return BenchResult("m", 1.0, "peer", 1.0, details={})

    monkeypatch.setattr(lora, "compare", fake_compare)
    result = bench.run("smoke")
    assert result.details["config"] == lora.FinetuneConfig.bench_for_profile("smoke").to_dict()
    assert ran["measure_from"] == bench.MEASURE_FROM["smoke"] and not ran["trainer_bf16"]
    assert "[ 50 %] half" in capsys.readouterr().out
