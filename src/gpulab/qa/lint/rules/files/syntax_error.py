"""GL002 syntax-error."""

from __future__ import annotations

from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity


class SyntaxErrorInFile(Rule):
    """A notebook file that is not valid Python, so marimo cannot even find its cells.

    ## What it does
    Reported when the file as a whole does not parse (for example an unclosed bracket in
    `app = marimo.App(` or between cells), at the line Python points to; also when marimo still
    finds the cells but Python cannot run the file (a broken `app.run(` under
    `if __name__ == "__main__":`). A syntax error inside one cell is marimo's own MB001
    (unparsable-cells) instead, reported at the line of the error: marimo keeps such a cell and
    the rest of the notebook is still linted. Code is parsed with the Python the notebook
    declares (PEP 723 `requires-python`): an f-string that is valid from Python 3.12 on is not
    a syntax error in a notebook that requires 3.12.

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
