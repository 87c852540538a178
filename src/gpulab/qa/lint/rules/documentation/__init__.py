"""GL5xx: documentation a reader needs before running the notebook."""

from __future__ import annotations

from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules.documentation.missing_requirements_doc import MissingRequirementsDoc

RULES: dict[str, type[Rule]] = {
    "GL501": MissingRequirementsDoc,
}
