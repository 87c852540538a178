"""`gpulab deploy` on the command line: its targets, and bad input as one line with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import assert_one_line_exit_2, gpulab


def test_help_lists_deploy_and_its_targets() -> None:
    assert "deploy" in gpulab("--help").stdout
    out = gpulab("deploy", "--help").stdout
    for target in ("modal", "systemd", "docker"):
        assert target in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the following arguments are required: TARGET"),
        (["kubernetes"], "invalid choice: 'kubernetes'"),
        (["modal"], "the following arguments are required: --out"),
        (["docker", "--out", "x", "--mode", "write"], "invalid choice: 'write'"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    assert_one_line_exit_2(gpulab("deploy", *args), message)


@pytest.mark.parametrize("target", ["modal", "systemd", "docker"])
def test_check_of_a_folder_never_generated_is_one_line_and_exit_2(
    tmp_path: Path, target: str
) -> None:
    result = gpulab("deploy", target, "--out", str(tmp_path / "nothing"), "--check")
    assert_one_line_exit_2(result, "does not exist: generate it first")
