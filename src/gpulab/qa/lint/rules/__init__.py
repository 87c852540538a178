"""Every gpulab rule, one per module, grouped by code range; each group's `RULES` is its table.

Code scheme: GL0xx files that cannot be linted, GL1xx GPU, GL2xx marimo reactivity and UI,
GL3xx safety, GL4xx measurement, GL5xx documentation. Codes are never reused. Adding a rule is
its module plus one line in its group's table; the registry adds marimo's breaking/runtime rules.
"""

from __future__ import annotations

from collections.abc import Mapping

from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules import documentation, files, gpu, measurement, reactivity, safety

# Code prefix -> that group's code -> rule table.
GROUPS: dict[str, Mapping[str, type[Rule]]] = {
    "GL0": files.RULES,
    "GL1": gpu.RULES,
    "GL2": reactivity.RULES,
    "GL3": safety.RULES,
    "GL4": measurement.RULES,
    "GL5": documentation.RULES,
}


def _in_code_order(tables: list[Mapping[str, type[Rule]]]) -> list[type[Rule]]:
    rules = {code: rule for table in tables for code, rule in table.items()}
    return [rules[code] for code in sorted(rules)]


# Files that cannot be linted as notebooks; reported by the engine, not by a check().
FILE_RULES: list[type[Rule]] = _in_code_order([GROUPS["GL0"]])
# Run on every notebook, in code order.
NOTEBOOK_RULES: list[type[Rule]] = _in_code_order(
    [table for prefix, table in GROUPS.items() if prefix != "GL0"]
)
