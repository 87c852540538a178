"""Fixture notebooks and the `# expect: CODE` markers that say where findings must land."""

from __future__ import annotations

import json
import re
from collections import Counter
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


def judgements(name: str) -> dict:
    """A judged corpus: `{"marimo": version, "note": ..., "findings": [{file, line, code,
    verdict, why}]}` from `tests/fixtures/lint/<name>`."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def findings_in(notebooks: list[Path], root: Path) -> Counter[tuple[str, int, str]]:
    """(file relative to `root`, line, code) of every finding on each notebook, all rules on."""
    codes = every_code()
    reported: Counter[tuple[str, int, str]] = Counter()
    for path in notebooks:
        findings, linted = lint_file(path, codes)
        assert linted, f"{path} is not read as a notebook"
        reported.update((path.relative_to(root).as_posix(), f.line, f.code) for f in findings)
    return reported


def assert_exactly_judged(reported: Counter[tuple[str, int, str]], judged: dict) -> None:
    expected = Counter((e["file"], e["line"], e["code"]) for e in judged["findings"])
    assert sorted((reported - expected).elements()) == [], "new findings: judge them"
    assert sorted((expected - reported).elements()) == [], "judged findings no longer reported"
