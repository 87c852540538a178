"""GL001 not-a-notebook."""

from __future__ import annotations

from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity


class NotANotebook(Rule):
    """A path given to `gpulab lint` that is not a marimo notebook.

    ## What it does
    Reported for a file named explicitly on the command line that marimo cannot read as a
    notebook: a plain Python script, an empty file, a file that is not UTF-8 text, a Markdown
    file without marimo cells. Folders are searched for notebooks (`.py` files with a
    module-level `app = marimo.App(...)`, the same search as `gpulab test`'s): the other `.py`
    files there (helpers, `__init__.py`) are skipped silently, and one that passes for a
    notebook but that marimo cannot read is reported.

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
    summary = "A file given as a notebook is not one marimo can read"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        return iter(())
