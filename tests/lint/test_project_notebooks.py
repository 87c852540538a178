"""`gpulab lint notebooks/` is part of CI: the project's own notebooks must be clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpulab.qa.lint.engine import lint_paths

ROOT = Path(__file__).resolve().parents[2]
OWN_NOTEBOOKS = [ROOT / "notebooks", ROOT / "src" / "gpulab" / "templates"]


@pytest.mark.parametrize("folder", OWN_NOTEBOOKS, ids=lambda p: p.name)
def test_own_notebooks_have_no_findings_with_the_project_configuration(folder):
    if not any(folder.glob("*.py")):
        pytest.skip(f"no notebooks in {folder} yet")
    report = lint_paths([folder])
    assert report.notebooks > 0
    assert report.findings == [], "\n".join(
        f"{f.path}:{f.line}: {f.code} {f.message}" for f in report.findings
    )
