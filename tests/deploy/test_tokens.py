"""Tokens: made at 0600 from the first byte, shown once, kept on a rerun, refused when loose."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gpulab.deploy import tokens
from gpulab.errors import UsageError


def test_a_new_token_is_long_and_url_safe() -> None:
    token = tokens.new_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)
    assert token != tokens.new_token()


def test_the_token_file_is_0600_and_the_token_shown_once(tmp_path: Path) -> None:
    first = tokens.token_file(tmp_path / "token")
    assert first.created
    assert (tmp_path / "token").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "token").read_text().strip() == first.value
    assert first.value in tokens.announce(first)
    again = tokens.token_file(tmp_path / "token")
    assert again.value == first.value and not again.created
    assert first.value not in tokens.announce(again)


def test_rotate_makes_a_new_token(tmp_path: Path) -> None:
    first = tokens.token_file(tmp_path / "token")
    rotated = tokens.token_file(tmp_path / "token", rotate=True)
    assert rotated.created and rotated.value != first.value
    assert (tmp_path / "token").stat().st_mode & 0o777 == 0o600


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("loose-token\n")
    path.chmod(0o644)
    with pytest.raises(UsageError, match="readable by others"):
        tokens.token_file(path)


def test_the_dotenv_file_holds_the_variable(tmp_path: Path) -> None:
    stored = tokens.env_file(tmp_path / "token.env", "GPULAB_TOKEN")
    assert (tmp_path / "token.env").read_text() == f"GPULAB_TOKEN={stored.value}\n"
    assert (tmp_path / "token.env").stat().st_mode & 0o777 == 0o600
    assert tokens.env_file(tmp_path / "token.env", "GPULAB_TOKEN").value == stored.value


def test_a_file_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot write"):
        tokens.write_private(blocker / "token", "x")
