"""`gpulab deploy {modal,systemd,docker}`: the files that run the notebooks on a cloud GPU or a
server, secure by default: a token always (generated, stored 0600, shown once), loopback behind
a TLS proxy where the network is ours to choose, and a `--check` for each generator's output.

Bad input (an unknown GPU type, an unwritable folder, a port in use) is one line and exit 2; a
generated file that fails its check is one line per problem and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gpulab import profiles
from gpulab.deploy import dockerfile, gpu_types, inputs, modal_app, systemd_unit
from gpulab.deploy.errors import CheckFailed
from gpulab.errors import UsageError
from gpulab.serve import is_loopback, port_number

DEFAULT_GPU = "L40S"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder for the generated files")
    parser.add_argument(
        "--check", action="store_true", help="check the files already in --out, write nothing"
    )
    parser.add_argument(
        "--new-token", action="store_true", help="replace the stored token with a new one"
    )
    parser.add_argument("--mode", choices=("edit", "run"), default="edit")
    parser.add_argument("--profile", choices=profiles.NAMES, default="full")


def _project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=Path, help="the gpulab project (default: this one)")
    parser.add_argument(
        "--extras",
        default=",".join(inputs.DEFAULT_EXTRAS),
        help="gpulab extras to install (comma-separated; default: what the notebooks use)",
    )
    parser.add_argument("--dir", type=Path, help="notebook folder (default: SOURCE/notebooks)")


def _modal_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    _project(parser)
    names = ", ".join(gpu_types.NAMES)
    parser.add_argument(
        "--gpu", default=DEFAULT_GPU, help=f"TYPE or TYPE:COUNT; TYPE one of {names}"
    )
    parser.add_argument("--app-name", default="gpulab")
    parser.add_argument("--volume", default="gpulab-data", help="Modal volume name")
    parser.add_argument("--volume-path", default="/data", help="where the volume is mounted")
    parser.add_argument("--secret", default="gpulab-token", help="Modal secret with the token")
    parser.add_argument("--timeout", type=int, default=4 * 3600, help="seconds per session")
    parser.add_argument(
        "--idle-timeout", type=int, default=600, help="idle seconds before the GPU is released"
    )
    parser.add_argument("--max-inputs", type=int, default=100, help="concurrent requests")


def _systemd_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--dir", type=Path, default=Path("notebooks"), help="notebook folder")
    parser.add_argument("--user", default="gpulab", help="the service's dedicated user")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=port_number, default=2718)
    parser.add_argument(
        "--python",
        type=Path,
        default=systemd_unit.default_python(),
        help="the interpreter gpulab is installed in (default: this one)",
    )
    parser.add_argument(
        "--token-path",
        type=Path,
        default=Path("/etc/gpulab/token"),
        help="where the token file is installed (root-only; the unit loads it as a credential)",
    )


def _docker_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    _project(parser)
    parser.add_argument("--base-image", default=dockerfile.BASE_IMAGE, help="pinned CUDA image")
    parser.add_argument("--port", type=port_number, default=2718)
    parser.add_argument(
        "--publish", default="127.0.0.1", help="host address the port is published on"
    )
    parser.add_argument("--volume", default="gpulab-data", help="named Docker volume for /data")
    parser.add_argument("--tag", default="gpulab:latest", help="image tag to build")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    targets = parser.add_subparsers(
        dest="target", metavar="TARGET", required=True, parser_class=type(parser)
    )
    for name, adder, help_text in [
        ("modal", _modal_arguments, "a Modal app: a cloud GPU, a volume, token auth"),
        ("systemd", _systemd_arguments, "a hardened systemd unit for a GPU server"),
        ("docker", _docker_arguments, "a Dockerfile (CUDA base, non-root) and run.sh"),
    ]:
        adder(targets.add_parser(name, help=help_text, description=help_text))


def _modal(args: argparse.Namespace) -> list[str]:
    if args.check:
        return modal_app.check(_existing(args.out) / modal_app.APP_FILE)
    gpu = gpu_types.parse(args.gpu)
    modal_app.timeouts(args.timeout, args.idle_timeout)
    if args.max_inputs < 1:
        raise UsageError(f"invalid --max-inputs {args.max_inputs}: at least 1")
    source = inputs.project_source(args.source)
    options = modal_app.ModalOptions(
        gpu=gpu,
        source=source,
        notebooks=inputs.notebook_dir(args.dir, source),
        extras=inputs.extras(args.extras, source),
        app_name=modal_app.object_name(args.app_name, "app"),
        volume_name=modal_app.object_name(args.volume, "volume"),
        volume_path=modal_app.volume_path(args.volume_path),
        secret_name=modal_app.object_name(args.secret, "secret"),
        mode=args.mode,
        profile=args.profile,
        timeout_s=args.timeout,
        idle_s=args.idle_timeout,
        max_inputs=args.max_inputs,
    )
    out = inputs.writable_dir(args.out, "output folder")
    return modal_app.generate(options, out, rotate=args.new_token)


def _systemd(args: argparse.Namespace) -> list[str]:
    unit = systemd_unit.UNIT_FILE
    if args.check:
        return systemd_unit.check(_existing(args.out) / unit)
    folder = args.dir.expanduser().absolute()
    if not folder.is_dir():
        raise UsageError(f"notebook folder {str(folder)!r} does not exist (pass --dir)")
    options = systemd_unit.SystemdOptions(
        notebooks=folder,
        python=systemd_unit.interpreter(args.python),
        user=systemd_unit.user_name(args.user),
        host=systemd_unit.host_address(args.host),
        port=args.port,
        mode=args.mode,
        profile=args.profile,
        token_source=systemd_unit.credential_path(args.token_path),
    )
    systemd_unit.render(options)  # refuses what a unit file cannot hold, before any write
    inputs.port_free(args.host, args.port)
    out = inputs.writable_dir(args.out, "output folder")
    lines = systemd_unit.generate(options, out, rotate=args.new_token)
    if not is_loopback(args.host):
        lines.insert(1, f"note: {args.host} is reachable from the network over plain HTTP")
    return lines


def _docker(args: argparse.Namespace) -> list[str]:
    from gpulab.deploy import docker_check

    if args.check:
        return docker_check.check(_existing(args.out) / dockerfile.DOCKERFILE)
    source = inputs.project_source(args.source)
    options = dockerfile.DockerOptions(
        source=source,
        notebooks=dockerfile.context_path(inputs.notebook_dir(args.dir, source), source),
        extras=inputs.extras(args.extras, source),
        base_image=dockerfile.pinned_image(args.base_image),
        port=args.port,
        publish=dockerfile.publish_address(args.publish),
        volume=dockerfile.volume_name(args.volume),
        mode=args.mode,
        profile=args.profile,
        tag=dockerfile.image_tag(args.tag),
    )
    inputs.port_free(args.publish, args.port)
    out = inputs.writable_dir(args.out, "output folder")
    lines = dockerfile.generate(options, out, rotate=args.new_token)
    if not is_loopback(args.publish):
        lines.insert(1, f"note: {args.publish} is reachable from the network over plain HTTP")
    return lines


def _existing(folder: Path) -> Path:
    if not folder.is_dir():
        raise UsageError(f"output folder {str(folder)!r} does not exist: generate it first")
    return folder


def run(args: argparse.Namespace) -> int:
    handler = {"modal": _modal, "systemd": _systemd, "docker": _docker}[args.target]
    try:
        lines = handler(args)
    except CheckFailed as failed:
        for problem in failed.problems:
            print(f"gpulab deploy {args.target}: check failed: {problem}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0
