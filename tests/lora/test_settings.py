"""The settings a user types are checked before anything runs, and every mistake is named in
full: a readable list, never one long line in a code block that the page cuts off."""

from __future__ import annotations

import pytest

from gpulab.workloads import lora

RANK_ZERO = (
    "rank must be a positive integer (got 0): LoRA adds two matrices of rank r, and r = 0 adds "
    "nothing to train"
)


@pytest.fixture
def defaults() -> lora.FinetuneConfig:
    return lora.FinetuneConfig.for_profile("smoke")


def test_rank_zero_is_refused_with_the_whole_reason(defaults) -> None:
    settings = lora.check_settings(defaults, "a prompt", rank=0)
    assert not settings.ok and settings.config is None
    assert settings.problems == (RANK_ZERO,)
    message = settings.message(results_kept=True)
    assert f"- {RANK_ZERO}." in message.splitlines()  # whole, on its own list line
    assert "```" not in message  # a code block would not wrap: the text was cut off
    assert "the results below are still those of the last good run" in message
    assert "results below" not in settings.message()


def test_every_problem_is_listed_not_only_the_first(defaults) -> None:
    settings = lora.check_settings(defaults, "", rank=0, alpha=0.0, target_modules=())
    assert [p.split(" ")[0] for p in settings.problems] == [
        "rank",
        "alpha",
        "target_modules",
        "the",
    ]
    assert "pick at least one target layer" in settings.message()
    assert lora.session.NO_PROMPTS in settings.problems
    assert settings.message().count("\n- ") == 4


def test_empty_prompts_block_the_fine_tune_but_not_the_config(defaults) -> None:
    settings = lora.check_settings(defaults, "  \n\n ")
    assert settings.config is not None  # the comparison can still run
    assert not settings.ok and settings.problems == (lora.session.NO_PROMPTS,)


def test_valid_settings_give_the_config_and_at_most_five_prompts(defaults) -> None:
    settings = lora.check_settings(defaults, "\n".join(f"p{i}" for i in range(8)), rank=4)
    assert settings.ok and settings.problems == ()
    assert settings.config.rank == 4 and settings.config.steps == defaults.steps
    assert settings.prompts == ("p0", "p1", "p2", "p3", "p4")
    # Without prompts to check (the comparison), only the config is validated.
    assert lora.check_settings(defaults).ok


def test_invalid_config_keeps_its_problems_for_the_page() -> None:
    with pytest.raises(lora.InvalidConfig) as raised:
        lora.FinetuneConfig(rank=0, steps=0)
    assert raised.value.problems[0] == RANK_ZERO
    assert raised.value.problems[1] == "steps must be >= 1 (got 0)"
