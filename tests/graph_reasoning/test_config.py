"""Bad settings are refused with a message naming the fix; profiles mean what they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpulab.errors import MissingDependencyError, UsageError
from gpulab.workloads.graph_reasoning import ReasoningConfig, default_checkpoint_dir, requirements


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"domains": ()}, "choose domains"),
        ({"domains": ("chess",)}, "choose domains"),
        ({"models": ("gpt",)}, "choose models"),
        ({"graphs_per_domain": 5}, "at least 20"),
        ({"seeds": (1, 1)}, "distinct seeds"),
        ({"levels": 4}, "levels of pooling"),
        ({"pool_ratio": 1.0}, "pool_ratio"),
        ({"checkpoint_dir": "  "}, "checkpoint folder"),
    ],
)
def test_validate_names_the_fix(changes: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ReasoningConfig.for_profile("smoke").with_changes(**changes).validate()


def test_profiles_and_checkpoints_outside_the_repo() -> None:
    smoke, full = ReasoningConfig.for_profile("smoke"), ReasoningConfig.for_profile("full")
    smoke.validate()
    full.validate()
    assert len(smoke.seeds) == 1 and len(full.seeds) >= 3
    repo = Path(__file__).resolve().parents[2]
    for folder in (smoke.checkpoint_dir, full.checkpoint_dir, default_checkpoint_dir()):
        assert repo not in Path(folder).resolve().parents


def test_missing_pyg_names_the_install(monkeypatch) -> None:
    monkeypatch.setattr(requirements, "is_available", lambda module: False)
    with pytest.raises(MissingDependencyError, match=r"gpulab\[graph-reasoning\]"):
        requirements.require_pyg()
    with pytest.raises(MissingDependencyError, match="vl-convert-python"):
        requirements.require_chart_export()
