"""Each rule fires exactly where the fixtures say, and nowhere on near-misses or sound notebooks."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, every_code, expected_findings, found, lint

from gpulab.qa.lint import registry
from gpulab.qa.lint.rules import NOTEBOOK_RULES

RULE_FIXTURES = sorted((FIXTURES / "rules").glob("*/*.py"))
THIRD_PARTY = sorted((FIXTURES / "third_party").glob("*.py"))
CLEAN = sorted((FIXTURES / "clean").glob("*.py"))


def _id(path):
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", RULE_FIXTURES, ids=_id)
def test_rule_reports_exactly_the_marked_lines(path):
    rule = registry.find_rule(path.parent.name)
    assert rule is not None, f"fixture folder {path.parent.name} names no rule"
    findings = lint(path, {rule.code})
    assert found(findings) == expected_findings(path, {rule.code})


@pytest.mark.parametrize("rule", NOTEBOOK_RULES, ids=lambda r: r.name)
def test_every_rule_has_a_triggering_notebook_and_a_near_miss(rule):
    folder = FIXTURES / "rules" / rule.name
    triggers = [p for p in folder.glob("bad_*.py") if expected_findings(p, {rule.code})]
    near_misses = [p for p in folder.glob("ok_*.py") if not expected_findings(p, {rule.code})]
    assert triggers, f"no bad_*.py in {folder} marks a {rule.code} finding"
    assert near_misses, f"no ok_*.py near-miss in {folder}"


@pytest.mark.parametrize("path", RULE_FIXTURES, ids=_id)
def test_rule_fixtures_are_valid_marimo_notebooks(path):
    marimo_codes = {code for code in every_code() if code.startswith(("MB", "GL0"))}
    assert lint(path, marimo_codes) == []


@pytest.mark.parametrize("path", THIRD_PARTY, ids=lambda p: p.name)
def test_predecessor_style_notebook_reports_each_known_bug_and_nothing_else(path):
    """The ANCHOR_REVIEW bugs, reproduced: every one named by the right rule, on the right line."""
    assert found(lint(path)) == expected_findings(path)


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_sound_notebook_has_no_findings(path):
    findings = lint(path)
    assert findings == [], "\n".join(f"{f.line}: {f.code} {f.message}" for f in findings)


def test_marimo_diagnostics_point_at_the_offending_line_not_the_def_line():
    path = FIXTURES / "third_party" / "llm_finetuning_dashboard.py"
    (finding,) = [f for f in lint(path, {"MR002"})]
    assert path.read_text().splitlines()[finding.line - 1].strip().startswith("if losses")


def test_findings_name_the_cell_they_are_in():
    path = FIXTURES / "rules" / "gpu-without-stop" / "bad_unguarded_cuda.py"
    cells = {f.cell for f in lint(path, {"GL101"})}
    assert cells == {"cell-3", "cell-4", "cell-6", "cell-7"}
