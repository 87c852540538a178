"""`gpulab serve`: a marimo server over the notebooks, bound to localhost, token-protected.

A notebook server runs arbitrary code, so it requires a token unless the user explicitly opts out,
and never runs without one on an address other machines can reach. A token from `--token-file`
(how systemd and containers pass it) is never printed, so it never lands in a journal or a log.
The notebooks' sizes follow `--profile` (default: `full` with a CUDA GPU, `smoke` without), passed
to every kernel as $GPULAB_PROFILE; cheap cells run when a notebook opens, expensive ones wait for
their run button.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from gpulab import profiles
from gpulab.errors import UsageError

# marimo's switch for running a notebook's cells when it is opened in the editor (its config key
# runtime.auto_instantiate, off by default in marimo 0.25); expensive cells stay behind run buttons.
_AUTO_RUN_ON_OPEN = "_MARIMO_CONFIG_OVERLOAD_RUNTIME_AUTO_INSTANTIATE"


def port_number(text: str) -> int:
    """argparse type: an integer TCP port in 1..65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not an integer") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {port}: must be between 1 and 65535")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=Path("notebooks"), help="notebook folder")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: localhost)")
    parser.add_argument("--port", type=port_number, default=2718)
    parser.add_argument("--token", help="access token to require (default: a random one)")
    parser.add_argument(
        "--token-file",
        type=Path,
        help="read the access token from this file (mode 0600, never printed)",
    )
    parser.add_argument(
        "--no-token",
        action="store_true",
        help="serve WITHOUT authentication (trusted networks only)",
    )
    parser.add_argument(
        "--mode",
        choices=("edit", "run"),
        default="edit",
        help="editable notebooks or read-only apps",
    )
    parser.add_argument(
        "--profile",
        choices=profiles.NAMES,
        help="notebook sizes: smoke (seconds on a CPU) or full (GPU sizes); "
        "default: full where a CUDA GPU is visible, smoke otherwise",
    )


def build_command(
    args: argparse.Namespace, token_file: Path | None, quiet: bool = False
) -> list[str]:
    """marimo's command line; `quiet` drops marimo's banner, which prints the token in its URL."""
    command = [sys.executable, "-m", "marimo", *(["-q"] if quiet else []), args.mode]
    command += [str(args.dir), "--headless"]
    command += ["--host", args.host, "--port", str(args.port)]
    if args.mode == "edit":
        command.append("--no-sandbox")
    if token_file is None:
        command.append("--no-token")
    else:
        command += ["--token-password-file", str(token_file)]
    return command


def server_environment(profile: str) -> dict[str, str]:
    """The marimo server's environment: the profile for every kernel, cheap cells run on open."""
    return {
        **os.environ,
        profiles.ENV_VAR: profile,
        _AUTO_RUN_ON_OPEN: "true",
        # An env var, not a flag: `marimo run` has no --skip-update-check option.
        "MARIMO_SKIP_UPDATE_CHECK": "1",
    }


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as err:
            raise UsageError(f"cannot bind {host}:{port}: {err.strerror or err}") from None


def is_loopback(host: str) -> bool:
    """True for addresses only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def read_token_file(path: Path) -> str:
    """The token in `path`, refused when others can read the file or it holds none."""
    try:
        mode = path.stat().st_mode & 0o777
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"token file {str(path)!r} does not exist") from None
    except OSError as err:
        raise UsageError(f"cannot read token file {str(path)!r}: {err.strerror or err}") from None
    if mode & 0o077:
        raise UsageError(
            f"token file {str(path)!r} is readable by others (mode {mode:04o}): chmod 600 it"
        )
    token = text.strip()
    if not token:
        raise UsageError(f"token file {str(path)!r} is empty")
    return token


def choose_token(args: argparse.Namespace) -> str | None:
    """The token to require: from --token-file, --token or a random one; None for --no-token."""
    given = [name for name in ("token", "token_file", "no_token") if getattr(args, name, None)]
    if len(given) > 1:
        options = " and ".join("--" + name.replace("_", "-") for name in given)
        raise UsageError(f"{options} exclude each other: pass one")
    if args.no_token:
        if not is_loopback(args.host):
            raise UsageError(
                f"refusing --no-token on {args.host}: other machines could run code there; "
                "keep the token or bind 127.0.0.1"
            )
        return None
    if getattr(args, "token_file", None) is not None:
        return read_token_file(args.token_file)
    return args.token or secrets.token_urlsafe(18)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM handler: unwind like Ctrl-C, so marimo is stopped and the token file removed."""
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    if not args.dir.is_dir():
        raise UsageError(f"notebook folder {str(args.dir)!r} does not exist (pass --dir)")
    token = choose_token(args)
    hidden = getattr(args, "token_file", None) is not None
    check_port_free(args.host, args.port)
    with tempfile.TemporaryDirectory(prefix="gpulab-serve-") as tmp:
        token_file = None
        if token is not None:
            # A file, not an argument: tokens in argv are visible to every user via `ps`.
            token_file = Path(tmp) / "token"
            token_file.write_text(token)
            os.chmod(token_file, 0o600)
        shown_host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{shown_host}:{args.port}/"
        if hidden:
            url += f" (token: the one in {args.token_file})"
        elif token:
            url += f"?access_token={token}"
        else:
            print("warning: serving without authentication; anyone who can reach it runs code")
        profile = args.profile or profiles.default_for_this_machine()
        why = "--profile" if args.profile else "no --profile: chosen from the GPUs found"
        print(f"gpulab serve: {args.dir} ({args.mode} mode, profile {profile}: {why})")
        print(f"  open {url}", flush=True)
        command = build_command(args, token_file, quiet=hidden)
        # systemd, docker and Modal stop a service with SIGTERM: stop marimo with it.
        signal.signal(signal.SIGTERM, _interrupt)
        process = subprocess.Popen(command, env=server_environment(profile))
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            return process.wait()
