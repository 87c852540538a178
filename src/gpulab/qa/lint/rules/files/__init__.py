"""GL0xx: files that cannot be linted as notebooks. The engine reports these, not a check()."""

from __future__ import annotations

from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules.files.internal_error import InternalError
from gpulab.qa.lint.rules.files.not_a_notebook import NotANotebook
from gpulab.qa.lint.rules.files.syntax_error import SyntaxErrorInFile

RULES: dict[str, type[Rule]] = {
    "GL000": InternalError,
    "GL001": NotANotebook,
    "GL002": SyntaxErrorInFile,
}
