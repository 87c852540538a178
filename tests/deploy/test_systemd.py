"""`gpulab deploy systemd`: the unit passes `systemd-analyze verify`, is hardened, and its own
ExecStart serves /health and refuses a request without the token."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gpulab.deploy.systemd_unit import SystemdOptions, quote, render

from .conftest import (
    assert_one_line_exit_2,
    assert_token_protected,
    free_port,
    gpulab,
    running,
    wait_for_health,
)

ANALYZE = shutil.which("systemd-analyze")


def need_analyze() -> str:
    """systemd-analyze, or a skip here and a failure in CI (which installs Debian's systemd)."""
    if ANALYZE is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze missing in CI: apt-get install -y systemd")
        pytest.skip("systemd-analyze not installed (apt-get install -y systemd)")
    return ANALYZE


def settings(unit_text: str) -> dict[str, list[str]]:
    """'Section.Key' -> values, in order (a key such as Environment= may repeat)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in unit_text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            found.setdefault(f"{section}.{key}", []).append(value)
    return found


@pytest.fixture
def generated(tmp_path: Path, notebook_dir: Path) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path / "out"
    port = str(free_port())
    result = gpulab(
        "deploy", "systemd", "--out", str(out), "--dir", str(notebook_dir), "--port", port
    )
    assert result.returncode == 0, result.stderr
    return out, result


def test_the_unit_verifies_without_a_warning(generated) -> None:
    analyze = need_analyze()
    out, _ = generated
    result = subprocess.run(
        [analyze, "verify", str(out / "gpulab.service")], capture_output=True, text=True
    )
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stderr
    check = gpulab("deploy", "systemd", "--out", str(out), "--check")
    assert check.returncode == 0, check.stderr
    assert "no warnings" in check.stdout


def test_the_unit_is_hardened(generated) -> None:
    out, _ = generated
    unit = settings((out / "gpulab.service").read_text())
    expected = {
        "Service.User": "gpulab",
        "Service.NoNewPrivileges": "yes",
        "Service.ProtectSystem": "strict",
        "Service.PrivateTmp": "yes",
        "Service.Restart": "on-failure",
        "Service.CapabilityBoundingSet": "",
        "Service.LoadCredential": "token:/etc/gpulab/token",
        "Install.WantedBy": "multi-user.target",
    }
    for key, value in expected.items():
        assert unit.get(key) == [value], key
    command = unit["Service.ExecStart"][0]
    assert "--host 127.0.0.1" in command
    assert command.endswith("--token-file ${CREDENTIALS_DIRECTORY}/token")
    assert "--no-token" not in command


def test_the_exposure_score_stays_low(generated) -> None:
    """systemd's own rating of the sandbox (0 best, 10 worst): 'OK' is below 5."""
    analyze = need_analyze()
    out, _ = generated
    result = subprocess.run(
        [analyze, "security", "--offline=yes", str(out / "gpulab.service")],
        capture_output=True,
        text=True,
    )
    match = re.search(r"Overall exposure level for gpulab.service: ([\d.]+)", result.stdout)
    assert match, result.stdout[-500:] + result.stderr
    assert float(match[1]) <= 2.5


def test_check_fails_on_a_broken_unit(generated) -> None:
    need_analyze()
    out, _ = generated
    unit = out / "gpulab.service"
    unit.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = gpulab("deploy", "systemd", "--out", str(out), "--check")
    assert result.returncode == 1
    assert "restart specifier" in result.stderr


def test_the_units_own_command_line_serves_with_the_token(generated, tmp_path: Path) -> None:
    """ExecStart as systemd runs it: the credential in a private folder, the unit's environment."""
    out, result = generated
    unit = settings((out / "gpulab.service").read_text())
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o500)
    token = (out / "token").read_text().strip()
    (credentials / "token").write_text(token)
    (credentials / "token").chmod(0o400)  # how systemd hands a credential over
    line = unit["Service.ExecStart"][0].replace("${CREDENTIALS_DIRECTORY}", str(credentials))
    command = [word.replace("$$", "$").replace("%%", "%") for word in shlex.split(line)]
    state = tmp_path / "state"  # stands for StateDirectory= and CacheDirectory=
    state.mkdir()
    env = dict(os.environ)
    for value in unit["Service.Environment"]:
        key, _, setting = value.partition("=")
        env[key] = setting.replace("/var/lib/gpulab", str(state)).replace(
            "/var/cache/gpulab", str(state / "cache")
        )
    port = command[command.index("--port") + 1]
    base = f"http://127.0.0.1:{port}/"
    log = tmp_path / "journal.log"
    with running(command, log, env=env) as process:
        wait_for_health(base, process, log)
        assert_token_protected(base, token)
    assert result.stdout.count(token) == 1  # shown once, when generated
    assert token not in log.read_text()  # never in the journal
    assert token not in (out / "gpulab.service").read_text()


def test_words_are_quoted_for_systemd() -> None:
    assert quote("/opt/my notebooks") == '"/opt/my notebooks"'
    assert quote("50%") == "50%%"
    assert quote("$HOME") == "$$HOME"
    assert quote("/plain/path") == "/plain/path"


def test_notebooks_under_home_keep_home_read_only(tmp_path: Path) -> None:
    options = SystemdOptions(notebooks=Path("/home/ada/notebooks"), python=Path("/usr/bin/python3"))
    assert "ProtectHome=read-only" in render(options)
    options = SystemdOptions(notebooks=Path("/srv/notebooks"), python=Path("/usr/bin/python3"))
    assert "ProtectHome=yes" in render(options)
    run_mode = SystemdOptions(
        notebooks=Path("/srv/notebooks"), python=Path("/usr/bin/python3"), mode="run"
    )
    assert "ReadWritePaths" not in render(run_mode)  # nothing to save in run mode


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path, notebook_dir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = gpulab(
            "deploy",
            "systemd",
            "--out",
            str(tmp_path / "out"),
            "--dir",
            str(notebook_dir),
            "--port",
            str(port),
        )
    assert_one_line_exit_2(result, f"cannot bind 127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dir", "no/such/notebooks"], "does not exist (pass --dir)"),
        (["--python", "/no/such/python"], "python '/no/such/python' does not exist"),
        (["--token-path", "relative/token"], "must be an absolute path"),
        (["--token-path", "/etc/my token"], "must be an absolute path of letters"),
        (["--user", "Bad User"], "invalid --user 'Bad User'"),
        (["--host", "0.0.0.0\nExecStartPre=/bin/sh"], "invalid --host"),
        (["--port", "99999"], "must be between 1 and 65535"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, notebook_dir: Path, args: list[str], message: str
) -> None:
    base = ["deploy", "systemd", "--out", str(tmp_path / "out"), "--port", str(free_port())]
    if "--dir" not in args:
        base += ["--dir", str(notebook_dir)]
    assert_one_line_exit_2(gpulab(*base, *args), message)
    assert not (tmp_path / "out").exists()  # nothing written before the input is checked


def test_an_unwritable_output_folder_is_one_line_and_exit_2(
    tmp_path: Path, notebook_dir: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = str(blocker / "out")
    port = str(free_port())
    result = gpulab("deploy", "systemd", "--out", out, "--dir", str(notebook_dir), "--port", port)
    assert_one_line_exit_2(result, "is not writable")


def test_the_default_interpreter_is_this_one() -> None:
    from gpulab.deploy.systemd_unit import default_python

    assert default_python() == Path(sys.executable).absolute()
