"""`gpulab lint` on notebooks nobody here wrote that every machine has: the tutorials and the
snippets the installed marimo package ships. Exactly the judged findings, and every one judged true.

The judgements (`tests/fixtures/lint/installed_tutorials.json`, `installed_snippets.json`) were
made by reading each notebook; the smoke tests vendored from marimo's sdist are judged in
`test_vendored_notebooks.py`, and a wider measurement on 62 public notebooks is recorded in
`reports/lint/`.
"""

from __future__ import annotations

from pathlib import Path

import marimo
import pytest
from conftest import assert_exactly_judged, findings_in, judgements

from gpulab.qa.discovery import is_notebook

SHIPPED = Path(marimo.__file__).parent
# Corpus: (folder in the installed marimo package, judgements, at least this many notebooks).
CORPORA = {
    "tutorials": (SHIPPED / "_tutorials", "installed_tutorials.json", 8),
    "snippets": (SHIPPED / "_snippets" / "data", "installed_snippets.json", 90),
}


def _notebooks(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.py") if is_notebook(path))


@pytest.mark.parametrize("corpus", CORPORA)
def test_the_judgements_are_for_this_marimo(corpus) -> None:
    folder, name, at_least = CORPORA[corpus]
    judged = judgements(name)
    assert marimo.__version__ == judged["marimo"], (
        f"marimo {marimo.__version__} ships other {corpus} than the judged "
        f"{judged['marimo']}: lint them and judge the findings again"
    )
    assert len(_notebooks(folder)) >= at_least


@pytest.mark.parametrize("corpus", CORPORA)
def test_lint_reports_exactly_the_judged_findings(corpus) -> None:
    folder, name, _ = CORPORA[corpus]
    assert_exactly_judged(findings_in(_notebooks(folder), folder), judgements(name))


@pytest.mark.parametrize("corpus", CORPORA)
def test_every_finding_is_judged_true_and_says_why(corpus) -> None:
    for entry in judgements(CORPORA[corpus][1])["findings"]:
        assert entry["verdict"] == "true" and entry["why"].strip(), entry
