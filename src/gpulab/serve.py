"""`gpulab serve`: a marimo server over the notebooks, bound to localhost, token-protected.

A notebook server runs arbitrary code, so it requires a token unless the user explicitly opts out.
The notebooks' sizes follow `--profile` (default: `full` with a CUDA GPU, `smoke` without), passed
to every kernel as $GPULAB_PROFILE; cheap cells run when a notebook opens, expensive ones wait for
their run button.
"""

from __future__ import annotations

import argparse
import os
import secrets
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


def build_command(args: argparse.Namespace, token_file: Path | None) -> list[str]:
    command = [sys.executable, "-m", "marimo", args.mode, str(args.dir), "--headless"]
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


def run(args: argparse.Namespace) -> int:
    if not args.dir.is_dir():
        raise UsageError(f"notebook folder {str(args.dir)!r} does not exist (pass --dir)")
    check_port_free(args.host, args.port)
    token = None if args.no_token else (args.token or secrets.token_urlsafe(18))
    with tempfile.TemporaryDirectory(prefix="gpulab-serve-") as tmp:
        token_file = None
        if token is not None:
            # A file, not an argument: tokens in argv are visible to every user via `ps`.
            token_file = Path(tmp) / "token"
            token_file.write_text(token)
            os.chmod(token_file, 0o600)
        shown_host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{shown_host}:{args.port}/"
        if token:
            url += f"?access_token={token}"
        else:
            print("warning: serving without authentication; anyone who can reach it runs code")
        profile = args.profile or profiles.default_for_this_machine()
        why = "--profile" if args.profile else "no --profile: chosen from the GPUs found"
        print(f"gpulab serve: {args.dir} ({args.mode} mode, profile {profile}: {why})")
        print(f"  open {url}", flush=True)
        process = subprocess.Popen(build_command(args, token_file), env=server_environment(profile))
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            return process.wait()
