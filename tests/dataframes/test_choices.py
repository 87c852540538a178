"""What the notebook's controls chose: an empty choice is named beside the controls before a run
and is a clear error when run, never an empty result."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.dataframes import (
    OPERATIONS,
    SuiteConfig,
    chosen_config,
    chosen_file,
    selection_problems,
)

ALL = ["pandas", "polars"]


def test_a_full_choice_has_no_problems() -> None:
    assert selection_problems([10**4], ["filter"], ALL, use_file=False) == []
    assert selection_problems([], ["filter"], ALL, use_file=True, path_text="/data.csv") == []
    assert selection_problems([], ["filter"], ALL, use_file=True, uploaded=True) == []


@pytest.mark.parametrize(
    ("sizes", "ops", "use_file", "path", "expected"),
    [
        ([], ["filter"], False, "", "No table size is chosen"),
        ([10**4], [], False, "", "No operation is chosen"),
        ([10**4], ["filter"], True, "  ", "No file is given"),
    ],
)
def test_an_empty_choice_is_named_before_the_run(
    sizes: list[int], ops: list[str], use_file: bool, path: str, expected: str
) -> None:
    problems = selection_problems(sizes, ops, ALL, use_file, path)
    assert [kind for kind, _ in problems] == ["danger"]
    assert problems[0][1].startswith(expected)


def test_only_pandas_is_a_warning_that_nothing_is_compared() -> None:
    ((kind, text),) = selection_problems([10**4], ["filter"], [], use_file=False)
    assert kind == "warn" and "nothing is compared" in text
    assert selection_problems([10**4], ["filter"], ["pandas"], use_file=False)[0][0] == "warn"


def test_running_an_empty_choice_is_a_usage_error() -> None:
    base = SuiteConfig.for_profile("smoke")
    with pytest.raises(UsageError, match="at least one operation"):
        chosen_config(base, [10**4], [], ALL, 3, use_file=False)
    with pytest.raises(UsageError, match="at least one table size"):
        chosen_config(base, [], ["filter"], ALL, 3, use_file=False)


def test_the_chosen_config_keeps_suite_order_and_a_file_run_needs_no_size() -> None:
    base = SuiteConfig.for_profile("smoke")
    config = chosen_config(base, [10**5, 10**4], ["sort", "filter"], ALL, 5, use_file=False)
    assert config.operations == ("filter", "sort") and config.sizes == (10**4, 10**5)
    assert config.repeats == 5 and config.engines == ("pandas", "polars")
    assert config.min_time_s == base.min_time_s  # the profile's settings stay
    from_file = chosen_config(base, [], list(OPERATIONS), ALL, 3, use_file=True)
    assert from_file.sizes == base.sizes


def test_the_file_comes_from_an_upload_or_an_existing_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="give a file path or upload a file"):
        chosen_file("", tmp_path)
    with pytest.raises(UsageError, match="no such file"):
        chosen_file(str(tmp_path / "missing.csv"), tmp_path)
    existing = tmp_path / "mine.csv"
    existing.write_text("a\n1\n")
    assert chosen_file(f"  {existing}  ", tmp_path) == existing
    uploaded = chosen_file("", tmp_path, "../up.csv", b"a\n2\n")
    assert uploaded == tmp_path / "up.csv" and uploaded.read_bytes() == b"a\n2\n"
