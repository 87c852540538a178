"""The server environment: a venv of its own with numpy 1.26 and nvidia-pytriton 0.7.0.

PyTriton pins numpy < 2 (under numpy 2 its outputs come back empty without an error), so the
server and its client never run in the notebook's environment. `ensure_env` creates the venv
once, under $GPULAB_SERVING_ENV or ~/.cache/gpulab/serving-env-<hash>, from PyPI or offline
from a wheel folder ($GPULAB_SERVING_WHEELS: `pip install --no-index --find-links DIR`). torch,
transformers and gpulab itself are not installed again: a `.pth` file puts the main
environment's directories on the venv's path, after its own site-packages, so the venv's numpy
wins. A venv, not `pip install --target` (PyTriton then takes itself for an editable install).

Build it from a shell with `python -m gpulab.workloads.serving.env` (what the notebook's build
button runs too, as a child process).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from gpulab.errors import MissingDependencyError, UsageError
from gpulab.progress import ProgressFn, no_progress

REQUIREMENTS = ("numpy==1.26.4", "nvidia-pytriton==0.7.0")
ENV_VAR, WHEELS_VAR = "GPULAB_SERVING_ENV", "GPULAB_SERVING_WHEELS"
BUILD_COMMAND = "python -m gpulab.workloads.serving.env"
_MARKER = "gpulab-serving.json"
_PTH = "gpulab-main-env.pth"
STEPS = ("create the venv", "install numpy 1.26 and nvidia-pytriton", "link the main environment")


@dataclass(frozen=True)
class ServerEnv:
    """A built server environment: its interpreter and the variables its children need."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def child_env(self) -> dict[str, str]:
        """The environment for the server and client children: the stub's libpython is the
        interpreter's own (LD_LIBRARY_PATH), output unbuffered, no inherited PYTHONPATH that
        could put numpy 2 ahead of the venv's."""
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        previous = env.get("LD_LIBRARY_PATH", "")
        env["LD_LIBRARY_PATH"] = libdir + (":" + previous if previous else "")
        env["PYTHONUNBUFFERED"] = "1"
        return env


def default_root() -> Path:
    """$GPULAB_SERVING_ENV, else a cache folder named by this Python and the requirements."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    key = "|".join((sys.version, sys.prefix, *REQUIREMENTS))
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return Path.home() / ".cache" / "gpulab" / f"serving-env-{digest}"


def find_env(root: Path | None = None) -> ServerEnv | None:
    """The built environment at `root` (default: `default_root()`), or None."""
    root = root or default_root()
    return ServerEnv(root) if (root / _MARKER).exists() else None


def require_env(root: Path | None = None) -> ServerEnv:
    """The built environment, or a MissingDependencyError naming the command that builds it."""
    env = find_env(root)
    if env is None:
        raise MissingDependencyError(
            "the Triton server environment", BUILD_COMMAND, "serving models with PyTriton"
        )
    return env


def main_paths() -> list[str]:
    """Directories of the main environment the server needs: gpulab's source, torch's and
    transformers' site directories (found without importing them)."""
    import importlib.util

    paths = [str(Path(__file__).resolve().parents[3])]
    for name in ("torch", "transformers"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise MissingDependencyError(name, f"pip install {name}", "the served models")
        paths.append(str(Path(spec.origin).resolve().parents[1]))
    return list(dict.fromkeys(paths))


def install_command(python: Path, wheels: str | None) -> list[str]:
    """pip's command line: PyPI, or only the wheel folder when one is given (offline)."""
    command = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if wheels:
        if not Path(wheels).is_dir():
            raise UsageError(f"{WHEELS_VAR}={wheels} is not a folder of wheels")
        command += ["--no-index", "--find-links", wheels]
    return [*command, *REQUIREMENTS]


def ensure_env(
    root: Path | None = None, wheels: str | None = None, progress: ProgressFn = no_progress
) -> ServerEnv:
    """Build the environment once (minutes: about 370 MB); a built one is returned at once."""
    root = root or default_root()
    built = find_env(root)
    if built is not None:
        progress(len(STEPS), len(STEPS), "already built")
        return built
    wheels = wheels or os.environ.get(WHEELS_VAR)
    paths = main_paths()
    progress(0, len(STEPS), STEPS[0])
    env = ServerEnv(root)
    try:
        _run([sys.executable, "-m", "venv", "--clear", str(root)], "creating the venv")
        pip = install_command(env.python, wheels)
    except UsageError:  # no ensurepip (a distro Python): this pip installs into the venv
        _run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(root)], "venv")
        pip = install_command(Path(sys.executable), wheels)
        pip[3:3] = ["--python", str(env.python)]
    progress(1, len(STEPS), STEPS[1])
    _run(pip, "installing the server's packages")
    progress(2, len(STEPS), STEPS[2])
    site = _site_packages(env.python)
    (site / _PTH).write_text("\n".join(paths) + "\n")
    marker = {"requirements": REQUIREMENTS, "paths": paths, "wheels": wheels}
    (root / _MARKER).write_text(json.dumps(marker, indent=1))
    progress(3, len(STEPS), "built")
    return env


def _site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def _run(command: list[str], what: str) -> None:
    # Without PYTHONPATH: pip would count packages visible through it as installed in the venv,
    # and the server, started without it, would then miss them.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(command, capture_output=True, text=True, start_new_session=True, env=env)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-8:]
        raise UsageError(f"{what} failed ({' '.join(command[:4])} ...):\n" + "\n".join(tail))


if __name__ == "__main__":
    built = ensure_env(progress=lambda d, t, note: print(f"[{d}/{t}] {note}", flush=True))
    print(f"server environment ready: {built.root}")
