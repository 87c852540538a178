"""GL001 not-a-notebook and GL002 syntax-error: files the linter cannot read as notebooks."""

from __future__ import annotations

from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity


class NotANotebook(Rule):
    """A path given to `gpulab lint` that is not a marimo notebook.

    ## What it does
    Reported for a file named explicitly on the command line that marimo cannot read as a
    notebook: a plain Python script, an empty file, a file that is not UTF-8 text, a Markdown
    file without marimo cells. Folders are searched for notebooks, and non-notebook `.py` files
    found there (helpers, `__init__.py`) are skipped silently.

    ## Why it matters
    `gpulab lint path/to/file.py` in CI must not pass just because the file was never checked:
    a notebook broken into a plain script (a lost `app = marimo.App()`) would otherwise look
    clean.

    ## Example
    ```
    $ gpulab lint scripts/helper.py
    scripts/helper.py:1: GL001 not-a-notebook [error]: not a marimo notebook: it has no `app = marimo.App()` and no `@app.cell`
    ```

    ## Fix
    Lint the folder (non-notebooks are skipped there) or pass only notebooks.
    """

    code = "GL001"
    name = "not-a-notebook"
    severity = Severity.ERROR
    summary = "A file given explicitly is not a marimo notebook"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        return iter(())


class SyntaxErrorInFile(Rule):
    """A notebook file that is not valid Python, so marimo cannot even find its cells.

    ## What it does
    Reported when the file as a whole does not parse (for example an unclosed bracket in
    `app = marimo.App(` or between cells), at the line Python points to. A syntax error inside one
    cell is marimo's own MB001 (unparsable-cells) instead: marimo keeps such a cell and the rest of
    the notebook is still linted.

    ## Why it matters
    Nothing in the file can run or be checked; every other rule is silent on it.

    ## Example
    ```python
    app = marimo.App(width="medium"
    ```

    ## Fix
    Fix the syntax error Python reports (`python -m py_compile notebook.py` shows it too).
    """

    code = "GL002"
    name = "syntax-error"
    severity = Severity.ERROR
    summary = "The notebook file is not valid Python"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        return iter(())


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
