"""`gpulab deploy docker`: a Dockerfile for `gpulab serve` on an NVIDIA GPU, and how to run it.

The image starts from a pinned CUDA runtime base, installs gpulab in a virtual environment,
runs as a non-root user, and checks marimo's /health. The token is a file mounted at run time,
never baked into the image or passed in the environment (`docker inspect` shows the
environment). `run.sh` publishes the port on 127.0.0.1 only: a TLS reverse proxy faces the
network. `--check` parses the Dockerfile and runs hadolint where it is installed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from gpulab.deploy import tokens
from gpulab.errors import UsageError

DOCKERFILE = "Dockerfile"
RUN_SCRIPT = "run.sh"
TOKEN_FILE = "token"
# NVIDIA's CUDA runtime image; torch's wheels bring their own CUDA libraries, the base brings
# the driver hooks of the NVIDIA container toolkit. Pin a digest with --base-image NAME@sha256:...
BASE_IMAGE = "nvidia/cuda:12.8.1-runtime-ubuntu24.04"
UID = 10001  # the container's user; the token file must belong to it
VENV = "/opt/gpulab/venv"
DATA = "/data"  # the volume: notebooks (seeded from the image), reports, caches, home
SECRET_PATH = "/run/secrets/gpulab-token"
_DIGEST = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")
_TAGGED = re.compile(r"(?:[^/\s]+/)*[^/:@\s]+:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})")
_VOLUME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]+")
_IMAGE_TAG = re.compile(r"[a-z0-9][a-z0-9._/-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?")


@dataclass(frozen=True)
class DockerOptions:
    source: Path
    notebooks: str  # relative to the build context (the project folder)
    extras: list[str]
    base_image: str = BASE_IMAGE
    port: int = 2718
    publish: str = "127.0.0.1"
    volume: str = "gpulab-data"
    mode: str = "edit"
    profile: str = "full"
    tag: str = "gpulab:latest"


def pinned_image(image: str) -> str:
    """A base image with a version tag (not `latest`) or a digest; anything else may drift."""
    match = _TAGGED.fullmatch(image)
    if _DIGEST.fullmatch(image) or (match and match["tag"] != "latest"):
        return image
    raise UsageError(
        f"base image {image!r} is not pinned: give a version tag or a digest, e.g. {BASE_IMAGE}"
    )


def volume_name(name: str) -> str:
    """A Docker volume name (the data volume is named, so Docker seeds it from the image)."""
    if not _VOLUME_NAME.fullmatch(name):
        raise UsageError(f"invalid Docker volume name {name!r}: letters, digits, '_', '.', '-'")
    return name


def image_tag(tag: str) -> str:
    """The tag to build, e.g. gpulab:0.1.0 (it goes into run.sh, so nothing but a tag)."""
    if not _IMAGE_TAG.fullmatch(tag):
        raise UsageError(f"invalid image tag {tag!r}: e.g. gpulab:latest or registry/gpulab:0.1")
    return tag


def publish_address(host: str) -> str:
    """The host address to publish the port on: an IP address (127.0.0.1 keeps it local)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"invalid --publish {host!r}: give an IP address like 127.0.0.1") from None
    return host


def context_path(notebooks: Path, source: Path) -> str:
    """The notebook folder relative to the build context: COPY reads nothing outside it."""
    try:
        return notebooks.absolute().relative_to(source).as_posix()
    except ValueError:
        raise UsageError(
            f"notebook folder {str(notebooks)!r} is outside the build context {str(source)!r}"
        ) from None


def health_command(port: int) -> list[str]:
    """The HEALTHCHECK: marimo's /health answers 200 when the server is up (exit 0), else 1."""
    probe = (
        "import sys, urllib.request; "
        f"sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=4)"
        ".status == 200 else 1)"
    )
    return [f"{VENV}/bin/python", "-c", probe]


def serve_arguments(options: DockerOptions) -> list[str]:
    """CMD: all interfaces of the container (its port is published on loopback), token file."""
    return [
        "--dir",
        f"{DATA}/notebooks",
        "--host",
        "0.0.0.0",
        "--port",
        str(options.port),
        "--mode",
        options.mode,
        "--profile",
        options.profile,
        "--token-file",
        SECRET_PATH,
    ]


def render(options: DockerOptions) -> str:
    """The Dockerfile's text."""
    extras = f"[{','.join(options.extras)}]" if options.extras else ""
    as_json = json.dumps
    return "\n".join(
        [
            "# syntax=docker/dockerfile:1",
            "# gpulab notebooks: `gpulab serve` (marimo) on an NVIDIA GPU, token required.",
            "# Written by `gpulab deploy docker`; build and run with run.sh beside this file.",
            f"FROM {options.base_image}",
            "",
            "ENV DEBIAN_FRONTEND=noninteractive \\",
            "    PIP_NO_CACHE_DIR=1 \\",
            "    PIP_DISABLE_PIP_VERSION_CHECK=1 \\",
            "    PYTHONUNBUFFERED=1 \\",
            "    MARIMO_SKIP_UPDATE_CHECK=1 \\",
            f"    HOME={DATA}/home \\",
            f"    XDG_CACHE_HOME={DATA}/cache",
            "",
            "# The distribution's Python; versions follow the pinned base image.",
            "# hadolint ignore=DL3008",
            "RUN apt-get update \\",
            " && apt-get install -y --no-install-recommends python3 python3-venv \\",
            " && rm -rf /var/lib/apt/lists/*",
            "",
            f"RUN groupadd --system --gid {UID} gpulab \\",
            f" && useradd --system --uid {UID} --gid gpulab --no-create-home \\",
            "      --shell /usr/sbin/nologin gpulab",
            "",
            "COPY pyproject.toml README.md /opt/gpulab/src/",
            "COPY src /opt/gpulab/src/src",
            f"RUN python3 -m venv {VENV} \\",
            f' && {VENV}/bin/pip install "/opt/gpulab/src{extras}"',
            "",
            f"COPY --chown=gpulab:gpulab {options.notebooks} {DATA}/notebooks",
            f"RUN mkdir -p {DATA}/work {DATA}/home {DATA}/cache \\",
            f" && chown -R gpulab:gpulab {DATA}",
            "",
            f"USER {UID}:{UID}",
            f"WORKDIR {DATA}/work",
            f"VOLUME {as_json([DATA])}",
            f"EXPOSE {options.port}",
            "HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \\",
            f"  CMD {as_json(health_command(options.port))}",
            f"ENTRYPOINT {as_json([f'{VENV}/bin/gpulab', 'serve'])}",
            f"CMD {as_json(serve_arguments(options))}",
            "",
        ]
    )


def run_script(options: DockerOptions, out_dir: Path) -> str:
    """run.sh: build, hand the token file to the container's user, run with the GPUs."""
    dockerfile, token = out_dir / DOCKERFILE, out_dir / TOKEN_FILE
    return "\n".join(
        [
            "#!/bin/sh",
            "# Build and run the gpulab image: every GPU, the token as a read-only file, the port",
            "# on 127.0.0.1 only (put a TLS reverse proxy in front: docs/deploy.md).",
            "# Written by `gpulab deploy docker`.",
            "set -eu",
            f"docker build -f {sh(dockerfile)} -t {sh(options.tag)} {sh(options.source)}",
            "# The container's user reads the token; the file stays 0600.",
            f'if [ "$(stat -c %u {sh(token)})" != {UID} ]; then',
            f"  chown {UID}:{UID} {sh(token)}",
            "fi",
            "docker run -d --name gpulab --init --gpus all --restart unless-stopped \\",
            "  --read-only --tmpfs /tmp --shm-size 2g \\",
            "  --cap-drop ALL --security-opt no-new-privileges \\",
            f"  -p {options.publish}:{options.port}:{options.port} \\",
            f"  --mount type=bind,src={sh(token)},dst={SECRET_PATH},readonly \\",
            f"  --mount type=volume,src={options.volume},dst={DATA} \\",
            f"  {sh(options.tag)}",
            f'echo "gpulab: http://{options.publish}:{options.port}/ (log in with the token)"',
            "",
        ]
    )


def sh(path: Path | str) -> str:
    """A path as one shell word."""
    return shlex.quote(str(path))


def generate(options: DockerOptions, out_dir: Path, rotate: bool = False) -> list[str]:
    """Write the Dockerfile, run.sh and the token; the lines to print (the token once)."""
    dockerfile, script = out_dir / DOCKERFILE, out_dir / RUN_SCRIPT
    try:
        dockerfile.write_text(render(options), encoding="utf-8")
        script.write_text(run_script(options, out_dir), encoding="utf-8")
        script.chmod(0o755)
    except OSError as err:
        raise UsageError(f"cannot write into {str(out_dir)!r}: {err.strerror or err}") from None
    token = tokens.token_file(out_dir / TOKEN_FILE, rotate=rotate)
    if os.geteuid() == 0:  # root can give the token to the container's user now
        os.chown(token.path, UID, UID)
    return [
        f"wrote {dockerfile} (base {options.base_image}, user gpulab uid {UID}, "
        f"{options.mode} mode, profile {options.profile})",
        f"wrote {script} (port {options.publish}:{options.port}, volume {options.volume})",
        tokens.announce(token),
        "next:",
        f"  gpulab deploy docker --out {out_dir} --check",
        f"  sh {script}",
    ]
