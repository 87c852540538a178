"""Fixture notebooks and the `# expect: CODE` markers that say where findings must land."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gpulab.qa.lint import registry
from gpulab.qa.lint.engine import lint_file
from gpulab.qa.lint.model import Finding

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lint"
# `# expect: GL101` on the flagged line; `# expect[-2]: GL404` two lines up, for lines that
# cannot hold a comment (inside a multi-line string).
_EXPECT = re.compile(r"#\s*expect(?:\[([+-]\d+)\])?:\s*([A-Z0-9, ]+)")


def expected_findings(path: Path, codes: set[str] | None = None) -> set[tuple[str, int]]:
    """(code, line) pairs marked in a fixture with `# expect: GL101, GL403`."""
    out = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for match in _EXPECT.finditer(line):
            target = number + int(match.group(1) or 0)
            for code in match.group(2).replace(",", " ").split():
                if codes is None or code in codes:
                    out.add((code, target))
    return out


def every_code() -> set[str]:
    return {info.code for info in registry.all_rules()}


def lint(path: Path, codes: set[str] | None = None) -> list[Finding]:
    findings, _ = lint_file(path, codes if codes is not None else every_code())
    return findings


def found(findings: list[Finding]) -> set[tuple[str, int]]:
    return {(f.code, f.line) for f in findings}


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
