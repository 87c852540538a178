"""`gpulab new NAME`: start a notebook from the pattern every gpulab notebook follows.

The template (`gpulab/templates/notebook.py`, shipped in the package) is itself a working notebook
showing the patterns every notebook copies: a docstring with requirements, the profile
(`read_profile`) and GPU card, settings from the workload config's `for_profile`, a run gated on a
button (`run_gate`, open in smoke runs) inside `with gpu_step(...)` with a progress bar, results as
the cell's last expression, and a cleanup cell. It passes `gpulab lint` and the smoke run as
written, so a new notebook starts green and stays green as it is filled in.
"""

from __future__ import annotations

import argparse
import re
from importlib import resources
from pathlib import Path

from gpulab.errors import UsageError

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
TITLE_MARK = "__NOTEBOOK_TITLE__"
NAME_MARK = "__NOTEBOOK_NAME__"


def template_text() -> str:
    """The template as shipped in the installed package."""
    return resources.files("gpulab").joinpath("templates/notebook.py").read_text(encoding="utf-8")


def validate_name(name: str) -> str:
    """'my_notebook' (or 'my_notebook.py') -> 'my_notebook'; anything else is a UsageError.

    The name becomes a file name and a module name (`gpulab.workloads.NAME`), so it is held to
    a lower-case Python identifier.
    """
    stem = name[:-3] if name.endswith(".py") else name
    if not NAME_PATTERN.fullmatch(stem):
        raise UsageError(
            f"invalid notebook name {name!r}: use lower-case letters, digits and underscores, "
            "starting with a letter (e.g. flash_attention)"
        )
    return stem


def title_for(name: str) -> str:
    """'llm_finetuning' -> 'Llm finetuning': a starting title the author edits."""
    return name.replace("_", " ").capitalize()


def render(name: str) -> str:
    """The template with the name and title filled in."""
    stem = validate_name(name)
    return template_text().replace(TITLE_MARK, title_for(stem)).replace(NAME_MARK, stem)


def create(name: str, directory: Path, force: bool = False) -> Path:
    """Write `directory/NAME.py` from the template; refuses to overwrite unless `force`."""
    stem = validate_name(name)
    path = directory / f"{stem}.py"
    if path.exists() and not force:
        raise UsageError(f"{path} already exists (pass --force to overwrite it)")
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(render(stem), encoding="utf-8")
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="notebook name: lower-case letters, digits, underscores")
    parser.add_argument("--dir", type=Path, default=Path("notebooks"), help="folder to write it in")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    path = create(args.name, args.dir, args.force)
    print(f"wrote {path}")
    print(f"  edit it:         marimo edit {path}")
    print(f"  check it:        gpulab lint {path}")
    print(f"  run it headless: gpulab test {path} --profile smoke")
    return 0
