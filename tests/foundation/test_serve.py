import contextlib
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


def gpulab_serve(*args: str) -> subprocess.CompletedProcess[str]:
    """`gpulab serve ARGS` that is expected to stop at once (bad input)."""
    command = [sys.executable, "-m", "gpulab.cli", "serve", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def one_line_exit_2(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def file_token_server(tmp_path_factory: pytest.TempPathFactory):
    """`gpulab serve --token-file`: (base URL, token, everything the server printed)."""
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "hello.py").write_text(NOTEBOOK)
    token_file = tmp_path_factory.mktemp("secret") / "token"
    token = "file-token-" + "x7" * 12
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    port = free_port()
    log = tmp_path_factory.mktemp("log") / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gpulab.cli", "serve", "--dir", str(folder)]
            + ["--port", str(port), "--token-file", str(token_file)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "health", timeout=2)
            break
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.3)
    yield base, token, log
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def test_a_token_file_protects_the_server_and_is_never_printed(file_token_server) -> None:
    base, token, log = file_token_server
    with urllib.request.urlopen(base + "health", timeout=10) as response:
        assert response.status == 200
    final_url, _ = fetch(base)
    assert "/auth/login" in final_url
    final_url, page = fetch(f"{base}?access_token={token}")
    assert "/auth/login" not in final_url
    assert "<title>marimo" in page
    printed = log.read_text()
    assert "open http://127.0.0.1:" in printed
    assert token not in printed  # a journal or container log never holds it


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("secret-token")
    token_file.chmod(0o644)
    result = gpulab_serve("--dir", str(tmp_path), "--token-file", str(token_file))
    one_line_exit_2(result, "readable by others (mode 0644)")
    assert "secret-token" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-token", "--host", "0.0.0.0"], "refusing --no-token on 0.0.0.0"),
        (["--no-token", "--host", "192.168.1.20"], "refusing --no-token on 192.168.1.20"),
        (["--token", "a", "--token-file", "t"], "--token and --token-file exclude each other"),
        (["--token-file", "no/such/token"], "token file 'no/such/token' does not exist"),
    ],
)
def test_bad_token_input_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    one_line_exit_2(gpulab_serve("--dir", str(tmp_path), *args), message)


def test_an_empty_token_file_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("\n")
    token_file.chmod(0o600)
    result = gpulab_serve("--dir", str(tmp_path), "--token-file", str(token_file))
    one_line_exit_2(result, "is empty")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.3.4.5", True), ("::1", True), ("localhost", True)]
    + [("0.0.0.0", False), ("::", False), ("10.0.0.2", False), ("gpu-box.lan", False)],
)
def test_only_loopback_addresses_count_as_local(host: str, loopback: bool) -> None:
    from gpulab.serve import is_loopback

    assert is_loopback(host) is loopback


def test_sigterm_to_serve_stops_marimo_too(tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text(NOTEBOOK)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gpulab.cli", "serve", "--dir", str(tmp_path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        process.terminate()  # SIGTERM to gpulab serve alone, as a service manager sends it
        process.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)  # anything left in its process group?
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            pytest.fail("marimo outlived gpulab serve after SIGTERM")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
