"""Modal GPU names: the documented list, case, counts, and the one-line refusal of the rest."""

from __future__ import annotations

import pytest

from gpulab.deploy import gpu_types
from gpulab.errors import UsageError


@pytest.mark.parametrize("name", gpu_types.NAMES)
def test_every_documented_name_is_accepted(name: str) -> None:
    assert gpu_types.parse(name) == gpu_types.GpuRequest(name, 1)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("h100", "H100"), ("a100-80gb:2", "A100-80GB:2"), ("L40S:8", "L40S:8"), (" T4 ", "T4")],
)
def test_names_are_case_insensitive_and_counts_kept(spec: str, expected: str) -> None:
    assert gpu_types.parse(spec).modal_string() == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("H1000", "unknown Modal GPU type 'H1000'"),
        ("RTX4090", "unknown Modal GPU type"),
        ("A100-90GB", "unknown Modal GPU type"),
        ("H100:0", "invalid GPU count 0"),
        ("H100:9", "invalid GPU count 9 for H100: 1 to 8"),
        ("A10:5", "invalid GPU count 5 for A10: 1 to 4"),
        ("H100:two", "invalid GPU"),
        ("", "invalid GPU"),
    ],
)
def test_other_names_and_counts_are_refused(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        gpu_types.parse(spec)


def test_the_refusal_names_the_choices_and_their_source() -> None:
    with pytest.raises(UsageError) as caught:
        gpu_types.parse("V100")
    assert "H100" in str(caught.value) and gpu_types.SOURCE_URL in str(caught.value)
