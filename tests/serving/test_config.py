"""Bad input is refused with an actionable message, before any server starts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.serving import ServingConfig, chosen_config, parse_rates

BASE = ServingConfig.for_profile("smoke")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"models": ()}, "choose models"),
        ({"models": ("gpt",)}, "choose models"),
        ({"dtype": "bfloat16"}, "bf16 serving is for a GPU"),
        ({"concurrency": ()}, "concurrency levels"),
        ({"instances": 3}, "instances must be 1 or 2"),
        ({"rates": (-1.0,)}, "rates must be positive"),
        ({"port": 80}, "port must be 0"),
        ({"max_batch_size": 0}, "max_batch_size"),
    ],
)
def test_validate_names_the_problem(change: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        replace(BASE, **change).validate()


def test_profiles_validate() -> None:
    assert ServingConfig.for_profile("smoke").validate().device == "cpu"
    full = ServingConfig.for_profile("full").validate()
    assert full.dtype == "bfloat16" and max(full.concurrency) == 64 and len(full.models) == 3


def test_rates_parse_and_refuse_words() -> None:
    assert parse_rates("200, 1000") == (200.0, 1000.0)
    assert parse_rates(" ") == ()
    with pytest.raises(UsageError, match="numbers separated by commas"):
        parse_rates("fast")


def test_chosen_config_returns_the_problem_not_a_traceback() -> None:
    kwargs = dict(
        max_batch_size=8,
        max_queue_delay_us=100,
        instances="1",
        concurrency=["4", "1"],
        rates="10",
        seconds=1.0,
        p99_limit_ms=50,
        port=0,
    )
    config, problem = chosen_config(BASE, models=["mlp"], **kwargs)
    assert problem == "" and config.concurrency == (1, 4) and config.models == ("mlp",)
    config, problem = chosen_config(BASE, models=[], **kwargs)
    assert "choose models" in problem and config == BASE
