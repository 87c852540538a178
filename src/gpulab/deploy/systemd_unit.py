"""`gpulab deploy systemd`: a hardened unit running `gpulab serve` on a GPU server, token on.

The service runs as a dedicated system user, binds 127.0.0.1 (a TLS reverse proxy faces the
network; docs/deploy.md has one), reads its token through systemd's LoadCredential (the file
stays root-only 0600 on disk; the service sees a private copy), restarts on failure and gives up
everything a notebook server needs not: privileges, the OS tree, other users' files, kernel
knobs. What it keeps on purpose, and why, is said next to each omission below.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from gpulab.deploy import tokens
from gpulab.deploy.errors import CheckFailed
from gpulab.errors import UsageError

UNIT_FILE = "gpulab.service"
TOKEN_FILE = "token"
CREDENTIAL = "token"
STATE_DIR = "/var/lib/gpulab"  # StateDirectory=gpulab: home, working folder, reports
CACHE_DIR = "/var/cache/gpulab"  # CacheDirectory=gpulab: model and compiler caches
_HOME_ROOTS = ("/home", "/root", "/run/user")
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_HOST = re.compile(r"[A-Za-z0-9.:_-]{1,253}")
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._/-]*")

# Each line is a setting a notebook server can live without. Left out on purpose:
# PrivateDevices= and DevicePolicy=closed hide /dev/nvidia*, so CUDA would see no GPU;
# MemoryDenyWriteExecute= breaks JIT compilers (torch.compile / Triton, Numba);
# PrivateUsers= maps the GPU device nodes' owners away on some hosts.
HARDENING = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "PrivateMounts=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectProc=invisible",
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "RemoveIPC=yes",
    "SystemCallArchitectures=native",
    # The syscalls of ordinary services; a refused one fails with EPERM instead of a kill.
    "SystemCallFilter=@system-service",
    "SystemCallErrorNumber=EPERM",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    # Netlink: glibc's getaddrinfo asks the kernel for the interfaces through it.
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    "UMask=0077",
)


@dataclass(frozen=True)
class SystemdOptions:
    notebooks: Path
    python: Path
    user: str = "gpulab"
    host: str = "127.0.0.1"
    port: int = 2718
    mode: str = "edit"
    profile: str = "full"
    token_source: Path = Path("/etc/gpulab/token")


def user_name(name: str) -> str:
    """A system user name as useradd takes it."""
    if not _USER.fullmatch(name):
        raise UsageError(f"invalid --user {name!r}: lower-case letters, digits, '_' or '-'")
    return name


def host_address(host: str) -> str:
    """An address to bind: an IP address or a host name, nothing a unit file would misread."""
    if not _HOST.fullmatch(host):
        raise UsageError(f"invalid --host {host!r}: give an IP address or a host name")
    return host


def interpreter(path: Path) -> Path:
    """The Python that runs the service: an absolute path to an existing executable."""
    path = path.expanduser().absolute()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise UsageError(f"python {str(path)!r} does not exist (pass --python)")
    return path


def credential_path(path: Path) -> Path:
    """Where the root-only token file is installed: absolute, plain characters (no quoting)."""
    if not path.is_absolute() or not _PLAIN_PATH.fullmatch(str(path)):
        raise UsageError(
            f"--token-path {str(path)!r} must be an absolute path of letters, digits, '.', '_', '-'"
        )
    return path


def quote(argument: str) -> str:
    """One ExecStart word as systemd reads it: specifiers and variables escaped, quoted if spaced."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in argument):
        raise UsageError(f"{argument!r} has a control character: a unit file cannot hold it")
    text = argument.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("%", "%%").replace("$", "$$")
    return f'"{text}"' if any(ch.isspace() for ch in text) or not text else text


def exec_start(options: SystemdOptions) -> str:
    """The service's command line; the token path is systemd's private credentials folder."""
    words = [str(options.python), "-m", "gpulab.cli", "serve", "--dir", str(options.notebooks)]
    words += ["--host", options.host, "--port", str(options.port), "--mode", options.mode]
    words += ["--profile", options.profile]
    line = " ".join(quote(word) for word in words)
    return f"{line} --token-file ${{CREDENTIALS_DIRECTORY}}/{CREDENTIAL}"


def protect_home(options: SystemdOptions) -> str:
    """`yes` hides /home, /root and /run/user; read-only where the notebooks or Python are there."""
    paths = [options.notebooks, options.python, options.python.resolve()]
    under_home = any(
        str(path) == root or str(path).startswith(root + "/")
        for path in paths
        for root in _HOME_ROOTS
    )
    return "read-only" if under_home else "yes"


def render(options: SystemdOptions) -> str:
    """The unit file's text."""
    service = [
        "Type=exec",
        f"User={options.user}",
        f"Group={options.user}",
        f"LoadCredential={CREDENTIAL}:{options.token_source}",
        f"ExecStart={exec_start(options)}",
        "StateDirectory=gpulab",
        "CacheDirectory=gpulab",
        f"WorkingDirectory={STATE_DIR}",
        f"Environment=HOME={STATE_DIR}",
        f"Environment=XDG_CACHE_HOME={CACHE_DIR}",
        "Environment=PYTHONUNBUFFERED=1",
        "Restart=on-failure",
        "RestartSec=5",
        # Bad input exits 2 (a port in use, a bad token file): restarting would only repeat it.
        "RestartPreventExitStatus=2",
        "TimeoutStopSec=30",
        *HARDENING,
        f"ProtectHome={protect_home(options)}",
    ]
    if options.mode == "edit":  # marimo saves edited notebooks in place
        service.append(f"ReadWritePaths={quote(str(options.notebooks))}")
    return "\n".join(
        [
            "[Unit]",
            "Description=gpulab notebooks (marimo, token-protected)",
            "Documentation=https://docs.marimo.io/guides/deploying/",
            "After=network-online.target",
            "Wants=network-online.target",
            "",
            "[Service]",
            *service,
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


def install_steps(unit: Path, token: Path, options: SystemdOptions) -> list[str]:
    """The commands that put the unit and the token in place (as root)."""
    user = options.user
    return [
        f"  sudo useradd --system --home-dir {STATE_DIR} --shell /usr/sbin/nologin {user}",
        f"  sudo install -D -m 0600 -o root -g root {token} {options.token_source}",
        f"  sudo install -m 0644 {unit} /etc/systemd/system/{UNIT_FILE}",
        f"  sudo systemctl daemon-reload && sudo systemctl enable --now {UNIT_FILE}",
        f"  then put a TLS reverse proxy in front of {options.host}:{options.port} "
        "(docs/deploy.md)",
    ]


def check(unit: Path) -> list[str]:
    """`systemd-analyze verify` on the unit: silent means valid; any warning fails the check."""
    if not unit.is_file():
        raise UsageError(f"no unit at {str(unit)!r}: run without --check first")
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        raise UsageError("systemd-analyze not found: install it with apt-get install -y systemd")
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=120
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or output:
        raise CheckFailed(output.splitlines() or [f"systemd-analyze exited {result.returncode}"])
    return [f"systemd-analyze verify {unit}: no warnings"]


def generate(options: SystemdOptions, out_dir: Path, rotate: bool = False) -> list[str]:
    """Write the unit and the token; the lines to print (the token once)."""
    unit = out_dir / UNIT_FILE
    try:
        unit.write_text(render(options), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {str(unit)!r}: {err.strerror or err}") from None
    token = tokens.token_file(out_dir / TOKEN_FILE, rotate=rotate)
    return [
        f"wrote {unit} (user {options.user}, {options.host}:{options.port}, {options.mode} mode)",
        tokens.announce(token),
        "next:",
        f"  gpulab deploy systemd --out {out_dir} --check",
        *install_steps(unit, token.path, options),
    ]


def default_python() -> Path:
    """This interpreter: the one gpulab is installed in."""
    return Path(sys.executable).absolute()
