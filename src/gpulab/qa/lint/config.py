"""`[tool.gpulab.lint]` in the nearest pyproject.toml above a linted file.

[tool.gpulab.lint]
select = ["ALL"]                 # codes, names, prefixes ("GL1", "MB") or "ALL"
ignore = ["GL403"]
exclude = ["notebooks/drafts/*"] # globs, relative to the pyproject's folder
per-file-ignores = { "notebooks/legacy_*.py" = ["GL304"] }
"""

from __future__ import annotations

import fnmatch
import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gpulab.errors import UsageError

KNOWN_KEYS = {"select", "ignore", "exclude", "per-file-ignores"}


@dataclass(frozen=True)
class LintConfig:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    root: Path | None = None
    source: str = "defaults"

    def relative(self, path: Path) -> str:
        if self.root is None:
            return path.as_posix()
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def excludes(self, path: Path) -> bool:
        relative = self.relative(path)
        return any(fnmatch.fnmatch(relative, pattern) for pattern in self.exclude)

    def ignores_for(self, path: Path) -> tuple[str, ...]:
        relative = self.relative(path)
        out: list[str] = []
        for pattern, codes in self.per_file_ignores.items():
            if fnmatch.fnmatch(relative, pattern):
                out.extend(codes)
        return tuple(out)


def _strings(value: object, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise UsageError(f"`{key}` in [tool.gpulab.lint] of {source} must be a list of strings")


@functools.cache
def config_for_folder(folder: Path) -> LintConfig:
    """The `[tool.gpulab.lint]` table of the nearest pyproject.toml at or above `folder`."""
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise UsageError(f"cannot read {pyproject}: {err}") from err
        table = data.get("tool", {}).get("gpulab", {}).get("lint")
        if table is None:
            continue
        return parse_table(table, pyproject)
    return LintConfig()


def parse_table(table: object, pyproject: Path) -> LintConfig:
    source = str(pyproject)
    if not isinstance(table, dict):
        raise UsageError(f"[tool.gpulab.lint] in {source} must be a table")
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise UsageError(
            f"unknown key(s) {sorted(unknown)} in [tool.gpulab.lint] of {source}; "
            f"known: {sorted(KNOWN_KEYS)}"
        )
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise UsageError(f"`per-file-ignores` in [tool.gpulab.lint] of {source} must be a table")
    return LintConfig(
        select=_strings(table.get("select", ["ALL"]), "select", source),
        ignore=_strings(table.get("ignore", []), "ignore", source),
        exclude=_strings(table.get("exclude", []), "exclude", source),
        per_file_ignores={
            pattern: _strings(codes, f"per-file-ignores.{pattern}", source)
            for pattern, codes in per_file.items()
        },
        root=pyproject.parent.resolve(),
        source=source,
    )


def config_for(path: Path) -> LintConfig:
    folder = path if path.is_dir() else path.parent
    return config_for_folder(folder.resolve())
