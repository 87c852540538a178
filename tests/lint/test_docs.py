"""The rule documentation is generated from the rules, and every rule documents itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gpulab.qa.lint import docs, registry
from gpulab.qa.lint.rules import FILE_RULES, NOTEBOOK_RULES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lint-rules.md"
SECTIONS = ("## What it does", "## Why it matters", "## Example", "## Fix")


def test_committed_rule_docs_match_the_rules():
    """Regenerate with `gpulab lint --docs > docs/lint-rules.md` when this fails."""
    assert DOCS.read_text(encoding="utf-8") == docs.generate_markdown()


@pytest.mark.parametrize("rule", [*FILE_RULES, *NOTEBOOK_RULES], ids=lambda r: r.code)
def test_rule_docstring_says_what_why_example_and_fix(rule):
    doc = rule.doc()
    positions = [doc.find(section) for section in SECTIONS]
    assert all(p > 0 for p in positions), f"{rule.code} lacks one of {SECTIONS}"
    assert positions == sorted(positions)


def test_codes_and_names_are_unique_and_well_formed():
    rules = registry.all_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
    for rule in rules:
        assert re.fullmatch(r"(GL|MB|MR)\d{3}", rule.code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)


def test_gpulab_rules_keep_their_published_names():
    """Reports (and ignore comments) refer to these names: renaming one breaks users.
    A new rule only adds a name, so this list need not grow with it."""
    names = {rule.name: rule.code for rule in NOTEBOOK_RULES}
    published = {
        "gpu-without-stop": "GL101",
        "cuda-without-oom-handling": "GL102",
        "del-without-empty-cache": "GL103",
        "deprecated-amp": "GL104",
        "hidden-output": "GL201",
        "refresh-misuse": "GL202",
        "ui-value-in-defining-cell": "GL203",
        "on-change-handler": "GL204",
        "ungated-expensive-work": "GL205",
        "loop-without-progress": "GL206",
        "shell-install": "GL301",
        "kill-by-name": "GL302",
        "unread-pipe": "GL303",
        "absolute-path": "GL304",
        "unsynchronized-timing": "GL401",
        "timing-without-warmup": "GL402",
        "unseeded-random": "GL403",
        "hardcoded-claim": "GL404",
        "missing-requirements-doc": "GL501",
    }
    assert {name: names.get(name) for name in published} == published


def test_marimo_breaking_rules_are_included_as_errors():
    marimo = {r.code: r for r in registry.all_rules() if r.origin == "marimo"}
    assert {"MB001", "MB002", "MB003", "MB005", "MR002"} <= set(marimo)
    assert all(r.severity.value == "error" for code, r in marimo.items() if code.startswith("MB"))
