"""The GPU memory budget: sizes parsed strictly, the card class it stands for, where it is read."""

from __future__ import annotations

import pytest
import torch

from gpulab import memory_budget
from gpulab.errors import UsageError
from gpulab.profiles import Profile


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("24GiB", 24 * 2**30),
        ("22 GB", 22 * 10**9),
        ("24g", 24 * 2**30),
        ("16000MiB", 16000 * 2**20),
        ("1.5GiB", int(1.5 * 2**30)),
        ("22", 22 * 2**30),
        ("23622320128B", 23622320128),
    ],
)
def test_sizes_parse_in_the_units_people_write(text: str, size: int) -> None:
    assert memory_budget.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "24 GiBs", "-4GiB", "0", "GiB24"])
def test_a_malformed_size_is_a_usage_error_showing_the_form(text: str) -> None:
    with pytest.raises(UsageError, match="24GiB|larger than zero"):
        memory_budget.parse_size(text)


@pytest.mark.parametrize(
    ("size", "card"),
    [
        (22 * 2**30, "24 GiB"),
        (24 * 2**30, "24 GiB"),
        (30 * 2**30, "32 GiB"),
        (70 * 2**30, "80 GiB"),
    ],
)
def test_a_budget_is_shown_as_the_card_it_stands_in_for(size: int, card: str) -> None:
    assert memory_budget.card_class(size) == card


def test_the_notebook_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(memory_budget.ENV_VAR, "40GiB")
    assert memory_budget.requested() == 40 * 2**30
    assert memory_budget.requested({"memory-budget": "22GiB"}) == 22 * 2**30
    monkeypatch.delenv(memory_budget.ENV_VAR)
    assert memory_budget.requested() is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU path: no CUDA device to cap")
def test_without_a_gpu_a_budget_applies_to_nothing() -> None:
    assert memory_budget.apply(22 * 2**30) is None
    assert memory_budget.active() is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="caps a real CUDA allocator")
def test_on_a_gpu_the_budget_caps_the_allocator_and_is_reported_as_total() -> None:
    budget = memory_budget.apply(2 * 2**30)
    assert budget is not None and memory_budget.active() == budget
    free, total = memory_budget.free_and_total()
    assert total == 2 * 2**30 and free <= total
    with pytest.raises(torch.cuda.OutOfMemoryError):
        torch.empty(3 * 2**30, dtype=torch.uint8, device="cuda")
    with pytest.raises(UsageError, match="larger than this GPU"):
        memory_budget.apply(10**15)
    memory_budget.apply(budget.device_total)  # give the rest of the session the whole card back


def test_the_profile_line_names_the_budget() -> None:
    line = Profile(name="full", memory_budget=22 * 2**30).describe()
    assert "GPU memory budget **22.0 GiB**" in line
    assert "budget" not in Profile(name="full").describe()
