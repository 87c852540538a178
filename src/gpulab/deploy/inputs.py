"""What every generator checks before it writes: the output folder, the project, extras, a port.

Each problem is a UsageError, so the command line reports it in one line with exit status 2
before anything is written.
"""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

import gpulab
from gpulab.errors import UsageError
from gpulab.serve import check_port_free

DEFAULT_EXTRAS = ("llm", "dataframes", "inference", "graphs")  # what the notebooks use
# Extras for checking this project, not for running notebooks.
_NOT_FOR_NOTEBOOKS = {"test", "browser", "deploy"}


def writable_dir(path: Path, what: str) -> Path:
    """`path` as an absolute folder that exists and takes a new file (made when missing)."""
    path = path.expanduser().absolute()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".gpulab-probe-"):
            pass
    except OSError as err:
        reason = err.strerror or str(err)
        raise UsageError(f"{what} {str(path)!r} is not writable: {reason}") from None
    return path


def _project_name(folder: Path) -> str | None:
    try:
        with (folder / "pyproject.toml").open("rb") as handle:
            return tomllib.load(handle).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError):
        return None


def project_source(given: Path | None) -> Path:
    """The gpulab project folder that images are built from: `given`, else this checkout."""
    candidates = [given] if given else [Path(gpulab.__file__).resolve().parents[2], Path.cwd()]
    for folder in candidates:
        folder = folder.expanduser().absolute()
        if _project_name(folder) == "gpulab" and (folder / "src" / "gpulab").is_dir():
            return folder
    if given:
        raise UsageError(f"{str(given)!r} is not the gpulab project (no pyproject.toml for gpulab)")
    raise UsageError("cannot find the gpulab project to build from: pass --source DIR")


def notebook_dir(given: Path | None, source: Path) -> Path:
    """The notebook folder to ship: `given`, else the project's notebooks/."""
    folder = (given or source / "notebooks").expanduser().absolute()
    if not folder.is_dir() or not any(folder.glob("*.py")):
        raise UsageError(f"notebook folder {str(folder)!r} has no notebooks (pass --dir)")
    return folder


def extras(text: str, source: Path) -> list[str]:
    """'llm,graphs' -> ['llm', 'graphs'], each checked against the project's extras."""
    with (source / "pyproject.toml").open("rb") as handle:
        known = set(tomllib.load(handle)["project"].get("optional-dependencies", {}))
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        offered = ", ".join(sorted(known - _NOT_FOR_NOTEBOOKS))
        raise UsageError(f"unknown extra {unknown[0]!r}: choose from {offered}")
    return chosen


def port_free(host: str, port: int) -> None:
    """A port something already listens on is refused now, not when the service starts."""
    check_port_free(host, port)
