"""Shared fixtures for the LoRA workload: a tiny random Llama (byte-level tokenizer) and real text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

pytest.importorskip("peft")
pytest.importorskip("transformers")

from gpulab.workloads import lora  # noqa: E402


@pytest.fixture(autouse=True, scope="package")
def one_cpu_thread() -> Iterator[None]:
    """Tiny models run faster on one thread; two OpenMP threads spin on a shared 2-core runner."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_config() -> lora.FinetuneConfig:
    """The smoke profile's model, data and step sizes with the default adapter, fewer documents,
    eager layers and no dropout (so two runs of the same steps compare exactly)."""
    smoke = lora.FinetuneConfig.for_profile("smoke")
    default = lora.FinetuneConfig()
    return replace(
        smoke,
        rank=default.rank,
        alpha=default.alpha,
        max_documents=40,
        dropout=0.0,
        log_every=10,
        compile=False,
    )


@pytest.fixture
def tiny_bundle(tiny_config: lora.FinetuneConfig) -> lora.ModelBundle:
    return lora.load_model(tiny_config.model, device="cpu", seed=tiny_config.seed)


@pytest.fixture(scope="package")
def pydoc_split() -> lora.DataSplit:
    return lora.split_documents(lora.load_examples("pydoc-topics", max_documents=40))
