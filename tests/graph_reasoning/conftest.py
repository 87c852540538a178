"""Tiny configs of the real models, checkpoints in pytest's temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpulab.workloads.graph_reasoning import ReasoningConfig


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread, as the suite uses on the CPU: these graphs are tiny."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny(tmp_path: Path) -> ReasoningConfig:
    return ReasoningConfig.for_profile("smoke").with_changes(
        checkpoint_dir=str(tmp_path / "ckpt"), graphs_per_domain=40, epochs=4, hidden=8
    )
