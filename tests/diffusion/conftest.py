"""The smoke config (the tiny pipeline of SD 1.5's classes, on the CPU) shared by the tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from gpulab.workloads.diffusion import DiffusionConfig
from gpulab.workloads.diffusion.pipeline import cpu_threads


@pytest.fixture
def smoke() -> DiffusionConfig:
    return dataclasses.replace(DiffusionConfig.for_profile("smoke"), device="cpu")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing may be fetched from a hub here: a lookup fails at once instead of waiting.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # The tiny pipeline's kernels are too small to split; on a shared CPU extra threads only
    # spin-wait (the smoke profile's cpu_threads=1 does the same for the notebook).
    with cpu_threads(1):
        yield
