"""One list of every rule gpulab lint knows: gpulab's own and marimo's breaking/runtime ones.

Selection (`--select`, `--ignore`, pyproject, `# gpulab: ignore[...]`), `--explain`,
`--list-rules` and the generated docs all read this list, so they cannot disagree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from gpulab.errors import UsageError
from gpulab.qa.lint import marimo_adapter
from gpulab.qa.lint.model import Rule, Severity
from gpulab.qa.lint.rules import FILE_RULES, NOTEBOOK_RULES

# marimo's runtime rules that break a notebook's output as surely as a breaking rule does.
MARIMO_RUNTIME_ERRORS = {"MR001", "MR002"}


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: Severity
    summary: str
    doc: str
    origin: str  # "gpulab" or "marimo"
    rule: type[Rule] | None = None


@functools.cache
def all_rules() -> tuple[RuleInfo, ...]:
    infos = [
        RuleInfo(rule.code, rule.name, rule.severity, rule.summary, rule.doc(), "gpulab", rule)
        for rule in [*FILE_RULES, *NOTEBOOK_RULES]
    ]
    for info in marimo_adapter.marimo_rules():
        error = info.breaking or info.code in MARIMO_RUNTIME_ERRORS
        infos.append(
            RuleInfo(
                code=info.code,
                name=info.name,
                severity=Severity.ERROR if error else Severity.WARNING,
                summary=info.description,
                doc=info.doc,
                origin="marimo",
            )
        )
    return tuple(sorted(infos, key=lambda r: r.code))


def find_rule(key: str) -> RuleInfo | None:
    wanted = key.strip().lower()
    for info in all_rules():
        if wanted in (info.code.lower(), info.name.lower()):
            return info
    return None


def resolve(selectors: Iterable[str], where: str) -> set[str]:
    """Rule codes matching `selectors`: `ALL`, a code, a name, or a code prefix (`GL1`, `MB`)."""
    codes: set[str] = set()
    for selector in selectors:
        key = selector.strip()
        if not key:
            continue
        if key.upper() == "ALL":
            codes.update(info.code for info in all_rules())
            continue
        exact = find_rule(key)
        if exact is not None:
            codes.add(exact.code)
            continue
        by_prefix = {info.code for info in all_rules() if info.code.startswith(key.upper())}
        if not by_prefix or not key[:2].isalpha():
            raise UsageError(
                f"unknown rule {selector!r} in {where}; `gpulab lint --list-rules` lists codes and names"
            )
        codes.update(by_prefix)
    return codes
