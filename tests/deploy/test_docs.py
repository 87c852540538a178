"""docs/deploy.md: the three paths, the GPU names as the code has them, and proxy examples that
Caddy and nginx accept (where they are installed); the README's command row."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gpulab.deploy import gpu_types

from .conftest import ROOT

DOC = ROOT / "docs" / "deploy.md"


def block(language: str) -> str:
    """The doc's one fenced block in `language`."""
    found = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(found) == 1, f"expected one {language} block"
    return found[0]


def test_the_doc_covers_the_three_paths_cost_security_and_the_token() -> None:
    text = DOC.read_text()
    for heading in ("## Modal", "## systemd on a GPU server", "## Docker", "## The token"):
        assert heading in text
    for command in ("gpulab deploy modal", "gpulab deploy systemd", "gpulab deploy docker"):
        assert command in text
    assert text.count("**Cost.**") == 3 and text.count("**Security.**") == 3
    assert "## A TLS reverse proxy" in text


def test_the_doc_lists_the_gpu_names_the_code_checks() -> None:
    words = " ".join(DOC.read_text().split())
    assert ", ".join(gpu_types.NAMES) + ". Modal accepts" in words
    assert gpu_types.SOURCE_URL in words


def test_the_readme_has_a_row_for_gpulab_deploy() -> None:
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("|")]
    assert any(row.startswith("| `gpulab deploy") for row in rows)


def test_caddy_accepts_the_caddyfile(tmp_path: Path) -> None:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy not installed (apt-get install -y caddy)")
    config = tmp_path / "Caddyfile"
    config.write_text(block("caddyfile"))
    result = subprocess.run(
        [caddy, "adapt", "--adapter", "caddyfile", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert '"upstreams":[{"dial":"127.0.0.1:2718"}]' in result.stdout


def test_nginx_accepts_the_server_blocks(tmp_path: Path) -> None:
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip("nginx or openssl not installed (apt-get install -y nginx-light openssl)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=notebooks.example.com", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    live = "/etc/letsencrypt/live/notebooks.example.com"
    servers = block("nginx").replace(f"{live}/fullchain.pem", str(cert))
    servers = servers.replace(f"{live}/privkey.pem", str(key))
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\n{servers}\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
