import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

NOTEBOOK = """import marimo
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


if __name__ == "__main__":
    app.run()
"""


# The first line each served fixture printed (its banner: folder, mode, profile).
server_banner: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module", params=["edit", "run"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "hello.py").write_text(NOTEBOOK)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gpulab.cli", "serve", "--dir", str(folder), "--port", str(port)]
        + ["--mode", request.param],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = None
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline and url is None:
        line = process.stdout.readline()
        server_banner.setdefault("line", line)
        match = re.search(r"open (http://\S+)", line)
        url = match.group(1) if match else None
    assert url, "gpulab serve printed no URL"
    base = f"http://127.0.0.1:{port}/"
    while time.monotonic() < deadline:  # wait until marimo answers
        try:
            urllib.request.urlopen(base + "health", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    yield url, base
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)
    process.stdout.close()


def fetch(url: str) -> tuple[str, str]:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(url, timeout=20) as response:
        return response.geturl(), response.read().decode()


def test_printed_url_binds_localhost_and_carries_a_token(server) -> None:
    url, _ = server
    assert url.startswith("http://127.0.0.1:")
    assert re.search(r"access_token=[\w-]{16,}", url)


def test_request_with_the_token_gets_the_marimo_page(server) -> None:
    url, _ = server
    final_url, page = fetch(url)
    assert "/auth/login" not in final_url
    assert "<title>marimo" in page


@pytest.mark.parametrize("suffix", ["", "?access_token=wrong-token"])
def test_request_without_the_token_is_refused(server, suffix: str) -> None:
    _, base = server
    final_url, page = fetch(base + suffix)
    assert "/auth/login" in final_url
    assert "hello.py" not in page


def test_a_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "gpulab.cli",
                "serve",
                "--dir",
                str(tmp_path),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"cannot bind 127.0.0.1:{port}" in result.stderr


def test_served_kernels_get_the_profile_and_run_cheap_cells_on_open() -> None:
    from gpulab.serve import server_environment

    env = server_environment("smoke")
    assert env["GPULAB_PROFILE"] == "smoke"
    assert env["_MARIMO_CONFIG_OVERLOAD_RUNTIME_AUTO_INSTANTIATE"] == "true"


def test_without_a_gpu_serve_defaults_to_the_smoke_profile(server) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the default is full")
    url, _ = server
    assert server_banner["line"].startswith("gpulab serve:")
    assert "profile smoke" in server_banner["line"]
