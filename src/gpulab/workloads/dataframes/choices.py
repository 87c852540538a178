"""What the notebook's controls chose: the warnings shown beside them before a run, the config a
run uses, and the file it reads. An empty choice is warned about first and is a `UsageError` when
run, never an empty result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gpulab.errors import UsageError

from .config import OPERATIONS, REFERENCE, SuiteConfig


def selection_problems(
    sizes: Sequence[int],
    operations: Sequence[str],
    engines: Sequence[str],
    use_file: bool,
    path_text: str = "",
    uploaded: bool = False,
) -> list[tuple[str, str]]:
    """(kind, text) for each problem with the current choice: "danger" stops a run, "warn"
    weakens it (only pandas runs)."""
    problems = []
    if not operations:
        problems.append(("danger", "No operation is chosen: choose at least one to run."))
    if use_file and not (path_text.strip() or uploaded):
        problems.append(("danger", "No file is given: type its path or upload it."))
    if not use_file and not sizes:
        problems.append(("danger", "No table size is chosen: choose at least one to run."))
    if not [e for e in engines if e != REFERENCE]:
        problems.append(
            (
                "warn",
                "Only pandas is chosen: it is the reference, so nothing is compared with it and "
                "no speedup can be shown. Choose another engine too.",
            )
        )
    return problems


def chosen_config(
    base: SuiteConfig,
    sizes: Sequence[int],
    operations: Sequence[str],
    engines: Sequence[str],
    repeats: int,
    use_file: bool,
) -> SuiteConfig:
    """The config a run uses: `base` with the chosen operations (in suite order), engines,
    repeats and sizes (a file run keeps the base sizes: the file is the one table)."""
    if not operations:
        raise UsageError("choose at least one operation")
    if not use_file and not sizes:
        raise UsageError("choose at least one table size")
    return replace(
        base,
        operations=tuple(op for op in OPERATIONS if op in operations),
        engines=tuple(engines),
        repeats=repeats,
        sizes=base.sizes if use_file else tuple(sorted(sizes)),
    )


def chosen_file(
    path_text: str, workdir: Path, upload_name: str | None = None, upload: bytes | None = None
) -> Path:
    """The file to read: an upload (written under `workdir`) over a typed path; a clear error
    when neither is given or the path is not a file."""
    if upload_name and upload is not None:
        path = Path(workdir) / Path(upload_name).name
        path.write_bytes(upload)
        return path
    if not path_text.strip():
        raise UsageError("give a file path or upload a file")
    path = Path(path_text.strip()).expanduser()
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    return path
