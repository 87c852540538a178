"""Helpers for the deploy tests: run `gpulab deploy`, start a server, ask it for pages."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = """import marimo
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


if __name__ == "__main__":
    app.run()
"""


def gpulab(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`gpulab ARGS` in a child process, as a user runs it."""
    command = [sys.executable, "-m", "gpulab.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def assert_one_line_exit_2(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[str, str]:
    """(final URL after redirects, page) with cookies kept, as a browser would."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(url, timeout=20) as response:
        return response.geturl(), response.read().decode()


def wait_for_health(base: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    """Until marimo's /health answers 200; fails with the server's output if it exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited: {log.read_text()}"
        try:
            with urllib.request.urlopen(base + "health", timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    pytest.fail(f"no /health within {seconds} s: {log.read_text()}")


@contextmanager
def running(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """A server process for the length of the block, in its own process group."""
    with log.open("w") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def assert_token_protected(base: str, token: str) -> None:
    """/health answers; a request without the token (or a wrong one) meets the login page."""
    with urllib.request.urlopen(base + "health", timeout=10) as response:
        assert response.status == 200
    for suffix in ("", "?access_token=wrong-token"):
        final_url, _ = fetch(base + suffix)
        assert "/auth/login" in final_url, suffix
    final_url, page = fetch(f"{base}?access_token={token}")
    assert "/auth/login" not in final_url
    assert "<title>marimo" in page


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "hello.py").write_text(NOTEBOOK)
    return folder
