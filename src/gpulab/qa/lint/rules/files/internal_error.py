"""GL000 internal-error."""

from __future__ import annotations

from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity


class InternalError(Rule):
    """gpulab lint itself failed while checking this notebook.

    ## What it does
    Reported instead of a traceback when a rule raises an unexpected exception on a notebook;
    the message names the rule and the exception. Every other rule still runs.

    ## Why it matters
    A crash in one rule must not hide the findings of the others, nor pass a notebook silently.

    ## Example
    ```
    nb.py:1: GL000 internal-error [error]: rule GL401 (unsynchronized-timing) crashed: KeyError: 'x'
    ```

    ## Fix
    Report it with the notebook attached; silence it meanwhile with `--ignore` for that rule.
    """

    code = "GL000"
    name = "internal-error"
    severity = Severity.ERROR
    summary = "gpulab lint crashed on this notebook (a bug in gpulab)"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        return iter(())
