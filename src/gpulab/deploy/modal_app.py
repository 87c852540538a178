"""`gpulab deploy modal`: a Modal app file that serves the notebooks on a cloud GPU, token on.

The app runs `gpulab serve` under `@modal.web_server` (edit mode keeps the notebooks editable,
which `marimo.create_asgi_app` cannot), with the token from a Modal secret passed as a 0600
file, a volume for notebooks, reports and caches, one container (the sessions live in one
server), a timeout, an idle window and a request concurrency. `--check` imports the file in a
child process with no Modal credentials and compares what Modal registered with what the file
says.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from gpulab.deploy import gpu_types, tokens
from gpulab.deploy.errors import CheckFailed
from gpulab.errors import MissingDependencyError, UsageError

APP_FILE = "gpulab_modal.py"
ENV_FILE = "token.env"
TOKEN_VARIABLE = "GPULAB_TOKEN"
PORT = 2718
MAX_TIMEOUT_S = 24 * 3600  # Modal: 1 s to 24 h (https://modal.com/docs/guide/timeouts)
IDLE_RANGE_S = (2, 3600)  # Modal's limits for scaledown_window
# Modal refuses volumes at these paths; the others would hide the image's own files.
_RESERVED_PATHS = ("/", "/root", "/tmp")
_SYSTEM_PREFIXES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/opt", "/proc", "/sbin", "/sys")
_SYSTEM_PREFIXES += ("/usr", "/var", "/run")
# Modal's rule for object names (apps, volumes, secrets).
_OBJECT_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MOUNT_PATH = re.compile(r"/[A-Za-z0-9._/-]*")


@dataclass(frozen=True)
class ModalOptions:
    gpu: gpu_types.GpuRequest
    source: Path
    notebooks: Path
    extras: list[str]
    app_name: str = "gpulab"
    volume_name: str = "gpulab-data"
    volume_path: str = "/data"
    secret_name: str = "gpulab-token"
    mode: str = "edit"
    profile: str = "full"
    timeout_s: int = 4 * 3600
    idle_s: int = 600
    startup_s: int = 300
    max_inputs: int = 100
    python_version: str = "3.11"


def object_name(name: str, what: str) -> str:
    """A Modal object name (letters, digits, '.', '-', '_'; at most 64), else a UsageError."""
    if not _OBJECT_NAME.fullmatch(name) or name.startswith("ap-"):
        raise UsageError(
            f"invalid Modal {what} name {name!r}: use letters, digits, '.', '-' or '_' (at most 64)"
        )
    return name


def volume_path(path: str) -> str:
    """The volume's mount path in the container: absolute, canonical, not a system folder."""
    if not _MOUNT_PATH.fullmatch(path) or posixpath.normpath(path) != path:
        raise UsageError(f"invalid volume path {path!r}: give a canonical absolute path like /data")
    if path in _RESERVED_PATHS or any(
        path == prefix or path.startswith(prefix + "/") for prefix in _SYSTEM_PREFIXES
    ):
        raise UsageError(
            f"volume path {path!r} is not writable for notebooks: it is a system folder of the "
            "image; use a new top-level folder like /data"
        )
    return path


def timeouts(timeout_s: int, idle_s: int) -> None:
    """Modal's documented ranges for a function's timeout and its idle window."""
    if not 1 <= timeout_s <= MAX_TIMEOUT_S:
        raise UsageError(f"invalid --timeout {timeout_s}: Modal allows 1 to {MAX_TIMEOUT_S} s")
    low, high = IDLE_RANGE_S
    if not low <= idle_s <= high:
        raise UsageError(f"invalid --idle-timeout {idle_s}: Modal allows {low} to {high} s")


def _in_docstring(path: Path) -> str:
    """A path as text inside the file's docstring: its quotes and backslashes escaped."""
    return str(path).replace("\\", "\\\\").replace('"', '\\"')


def render(options: ModalOptions, out_dir: Path) -> str:
    """The app file's text; every value is a Python literal (json.dumps of a str is one)."""
    text = resources.files("gpulab.deploy").joinpath("templates/modal_app.py.tmpl")
    extras = f"[{','.join(options.extras)}]" if options.extras else ""
    values = {
        "gpu_label": options.gpu.modal_string(),
        "out_dir": _in_docstring(out_dir),
        "env_file": _in_docstring(out_dir / ENV_FILE),
        "app_file": _in_docstring(out_dir / APP_FILE),
        "secret_name": options.secret_name,
        "volume_name": options.volume_name,
        "volume_path": options.volume_path,
        "app_name": json.dumps(options.app_name),
        "gpu": json.dumps(options.gpu.modal_string()),
        "volume_name_py": json.dumps(options.volume_name),
        "volume_path_py": json.dumps(options.volume_path),
        "secret_name_py": json.dumps(options.secret_name),
        "token_variable": json.dumps(TOKEN_VARIABLE),
        "port": PORT,
        "mode": json.dumps(options.mode),
        "profile": json.dumps(options.profile),
        "timeout": options.timeout_s,
        "idle": options.idle_s,
        "startup": options.startup_s,
        "max_inputs": options.max_inputs,
        "source": json.dumps(str(options.source)),
        "notebooks": json.dumps(str(options.notebooks)),
        "extras": json.dumps(extras),
        "python_version": json.dumps(options.python_version),
    }
    return Template(text.read_text(encoding="utf-8")).substitute(values)


def offline_environment(home: Path) -> dict[str, str]:
    """No Modal credentials and no reachable Modal server: an import that logs in fails."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODAL_")}
    env.update(
        HOME=str(home),
        MODAL_CONFIG_PATH=str(home / "no-modal.toml"),
        # A closed local port: any call to Modal's API fails at once instead of going out.
        MODAL_SERVER_URL="http://127.0.0.1:9",
    )
    return env


def probe(app_file: Path) -> dict:
    """What the app file registers with Modal, read in a child process without credentials."""
    try:
        import modal  # noqa: F401  (only to say how to install it)
    except ImportError:
        raise MissingDependencyError("modal", "pip install 'gpulab[deploy]'", "--check") from None
    if not app_file.is_file():
        raise UsageError(f"no Modal app at {str(app_file)!r}: run without --check first")
    with tempfile.TemporaryDirectory(prefix="gpulab-modal-home-") as home:
        result = subprocess.run(
            [sys.executable, "-m", "gpulab.deploy.modal_probe", str(app_file)],
            capture_output=True,
            text=True,
            timeout=120,
            env=offline_environment(Path(home)),
        )
    lines = result.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        report = {}
    if "error" in report or "functions" not in report:
        why = report.get("error") or (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise CheckFailed([f"{app_file} does not import offline: {why}"])
    return report


def _function_problems(name: str, function: dict, constants: dict) -> list[str]:
    problems = []
    gpus = function["gpus"]
    if len(gpus) != 1:
        problems.append(f"function {name} asks for {len(gpus)} GPU types; expected one")
    else:
        gpu_name, count = gpus[0]
        try:
            registered = gpu_types.parse(f"{gpu_name}:{count}").modal_string()
        except UsageError as err:
            problems.append(f"function {name}: {err}")
        else:
            if registered != str(constants["GPU"]).upper():
                problems.append(
                    f"function {name} has GPU {registered}; the file says {constants['GPU']}"
                )
    path, volume = constants["VOLUME_PATH"], constants["VOLUME_NAME"]
    if function["volumes"].get(path) != volume:
        problems.append(f"function {name} does not mount volume {volume!r} at {path!r}")
    if not function["web_endpoint"]:
        problems.append(f"function {name} is not a web endpoint")
    secret = f"modal.Secret.from_name({constants['SECRET_NAME']!r})"
    if secret not in function["secrets"]:
        problems.append(
            f"function {name} does not get the token secret {constants['SECRET_NAME']!r}"
        )
    if not 1 <= function["timeout"] <= MAX_TIMEOUT_S:
        problems.append(
            f"function {name} has timeout {function['timeout']} s, outside Modal's range"
        )
    return problems


def check(app_file: Path) -> list[str]:
    """Lines describing the app as Modal registered it; CheckFailed lists what is wrong."""
    report = probe(app_file)
    constants, functions = report["constants"], report["functions"]
    problems = [] if report["apps"] else ["no modal.App in the file"]
    if "notebooks" not in functions:
        problems.append("no modal function named 'notebooks'")
    else:
        problems += _function_problems("notebooks", functions["notebooks"], constants)
    command = report["serve_command"] or []
    if "--token-file" not in command or "--no-token" in command:
        problems.append("the server command does not require the token (--token-file)")
    if problems:
        raise CheckFailed(problems)
    function = functions["notebooks"]
    gpu_name, count = function["gpus"][0]
    return [
        f"modal app {report['apps'][0]!r} imported offline from {app_file} (no login)",
        f"  function notebooks: web endpoint on port {constants['PORT']}, GPU {gpu_name} x{count}"
        f", timeout {function['timeout']} s, up to {function['max_inputs']} concurrent requests",
        f"  volume {constants['VOLUME_NAME']!r} mounted at {constants['VOLUME_PATH']}",
        f"  secret {constants['SECRET_NAME']!r}: gpulab serve --token-file (token required)",
    ]


def generate(options: ModalOptions, out_dir: Path, rotate: bool = False) -> list[str]:
    """Write the app file and the token's dotenv file; the lines to print (the token once)."""
    app_file = out_dir / APP_FILE
    try:
        app_file.write_text(render(options, out_dir), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {str(app_file)!r}: {err.strerror or err}") from None
    token = tokens.env_file(out_dir / ENV_FILE, TOKEN_VARIABLE, rotate=rotate)
    return [
        f"wrote {app_file} (GPU {options.gpu.modal_string()}, volume {options.volume_name!r} "
        f"at {options.volume_path}, {options.mode} mode, profile {options.profile})",
        tokens.announce(token),
        "next:",
        f"  gpulab deploy modal --out {out_dir} --check",
        f"  modal secret create {options.secret_name} --from-dotenv {token.path}",
        f"  modal deploy {app_file}",
    ]
