"""`gpulab lint` on notebooks nobody here wrote that every machine has: the tutorials the
installed marimo package ships. Exactly the judged findings, and every one judged true.

The judgements (`tests/fixtures/lint/installed_tutorials.json`) were made by reading each
notebook; a wider measurement on 62 public notebooks is recorded in `reports/lint/`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import marimo
import pytest
from conftest import FIXTURES, every_code

from gpulab.qa.discovery import is_notebook
from gpulab.qa.lint.engine import lint_file

JUDGED = json.loads((FIXTURES / "installed_tutorials.json").read_text(encoding="utf-8"))
TUTORIALS = Path(marimo.__file__).parent / "_tutorials"
NOTEBOOKS = sorted(path for path in TUTORIALS.glob("*.py") if is_notebook(path))


def test_the_judgements_are_for_this_marimo() -> None:
    assert marimo.__version__ == JUDGED["marimo"], (
        f"marimo {marimo.__version__} ships other tutorials than the judged "
        f"{JUDGED['marimo']}: lint them and judge the findings again"
    )
    assert len(NOTEBOOKS) >= 8


@pytest.fixture(scope="module")
def reported() -> Counter[tuple[str, int, str]]:
    codes = every_code()
    found: Counter[tuple[str, int, str]] = Counter()
    for path in NOTEBOOKS:
        findings, linted = lint_file(path, codes)
        assert linted, f"{path} is not read as a notebook"
        found.update((path.name, f.line, f.code) for f in findings)
    return found


def test_lint_reports_exactly_the_judged_findings(reported) -> None:
    expected = Counter((e["file"], e["line"], e["code"]) for e in JUDGED["findings"])
    assert sorted((reported - expected).elements()) == [], "new findings: judge them"
    assert sorted((expected - reported).elements()) == [], "judged findings no longer reported"


def test_every_finding_on_the_tutorials_is_judged_true_and_says_why() -> None:
    for entry in JUDGED["findings"]:
        assert entry["verdict"] == "true" and entry["why"].strip(), entry
