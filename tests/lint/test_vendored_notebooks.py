"""`gpulab lint` on smoke-test notebooks nobody here wrote, vendored byte-identical from marimo's
sdist (`tests/fixtures/lint/marimo_smoke_tests/`, its README names the source): exactly the
judged findings of `marimo_smoke_tests.json`, and every one judged true.

marimo's own diagnostics (MB/MR) and its code generator (GL208) are part of what is judged, so
the judgements hold for one marimo version.
"""

from __future__ import annotations

import hashlib

import marimo
from conftest import FIXTURES, assert_exactly_judged, findings_in, judgements

VENDORED = FIXTURES / "marimo_smoke_tests"
JUDGED = judgements("marimo_smoke_tests.json")
NOTEBOOKS = sorted(VENDORED.rglob("*.py"))


def test_the_judgements_are_for_this_marimo() -> None:
    assert marimo.__version__ == JUDGED["marimo"], (
        f"the smoke tests were judged with marimo {JUDGED['marimo']}, this is "
        f"{marimo.__version__}: lint them and judge the findings again"
    )


def test_the_vendored_notebooks_are_marimos_files_unchanged() -> None:
    found = {
        path.relative_to(VENDORED).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in NOTEBOOKS
    }
    assert found == JUDGED["files"], "a vendored notebook was edited, added or removed"
    assert len(found) >= 40
    assert (VENDORED / "LICENSE").is_file() and (VENDORED / "README.md").is_file()


def test_lint_reports_exactly_the_judged_findings() -> None:
    assert_exactly_judged(findings_in(NOTEBOOKS, VENDORED), JUDGED)


def test_every_finding_is_judged_true_and_says_why() -> None:
    for entry in JUDGED["findings"]:
        assert entry["verdict"] == "true" and entry["why"].strip(), entry
