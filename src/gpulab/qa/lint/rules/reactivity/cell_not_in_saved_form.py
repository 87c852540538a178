"""GL208 cell-not-in-saved-form."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.rules.reactivity.markdown_cell_rewritten import rewrite_problem

# Where a cell starts in a notebook file: its decorator, or the setup block.
_CELL_START = re.compile(r"^(@app\.|with app\.setup)")
_MAIN_GUARD = re.compile(r"^if __name__ == ['\"]__main__['\"]:")


def cell_blocks(source: str) -> list[list[str]]:
    """The file's lines cut into one block per cell (decorator to the line before the next)."""
    blocks: list[list[str]] = []
    for line in source.splitlines():
        if _MAIN_GUARD.match(line):
            break
        if _CELL_START.match(line):
            blocks.append([])
        if blocks:
            blocks[-1].append(line)
    return [_without_trailing_blanks(block) for block in blocks]


def _without_trailing_blanks(block: list[str]) -> list[str]:
    while block and not block[-1].strip():
        block.pop()
    return block


def first_difference(ours: list[str], saved: list[str]) -> tuple[int, str, str]:
    """(index in `ours`, our line, the saved line) of the first line that differs."""
    for index, (line, other) in enumerate(zip(ours, saved, strict=False)):
        if line != other:
            return index, line, other
    index = min(len(ours), len(saved))
    return (
        min(index, len(ours) - 1),
        ours[index] if index < len(ours) else "",
        saved[index] if index < len(saved) else "",
    )


class CellNotInSavedForm(Rule):
    """A cell that marimo's editor writes differently when it saves the notebook unchanged.

    ## What it does
    Compares each cell with what marimo's own code generator writes for it: the `@app.cell`
    line, the function's parameters (the names it reads), its body, and the `return` of the names
    other cells use, formatted at marimo's line length; a Markdown cell (only `mo.md("...")`) must
    also have the one layout marimo's Markdown view writes back: `mo.md(r\"\"\"`, newline, text,
    newline, `\"\"\")`. A cell that differs is rewritten the first time the notebook is saved in
    the editor, and autosave saves seconds after it opens.

    ## Why it matters
    A notebook that changes when someone opens it cannot be trusted to be what was reviewed: every
    open leaves a diff (a `return` regrouped, a name added to the returned tuple), and what the
    file's `return` claims a cell defines is not what marimo computes.

    ## Example
    ```python
    @app.cell
    def _(mo):
        data_source = mo.ui.dropdown(["a", "b"])
        data_split = 0.9
        return (data_split,)  # marimo saves: return data_source, data_split
    ```

    ## Fix
    Write the cell the way the message shows (marimo's form), or open the notebook in
    `marimo edit`, save it once, and commit that. A formatter with a longer line length (ruff at
    100) keeps marimo's exploded `return (...)` because of its trailing comma.

    ## Known problems
    Markdown cells whose rewrite breaks them are reported by GL207 (markdown-cell-rewritten).
    Only `.py` notebooks are compared.
    """

    code = "GL208"
    name = "cell-not-in-saved-form"
    severity = Severity.WARNING
    summary = "A cell marimo's editor rewrites when it saves the notebook"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        if notebook.saved_source is None:
            return
        ours, saved = cell_blocks(notebook.source), cell_blocks(notebook.saved_source)
        if len(ours) != len(saved) or len(ours) != len(notebook.cells):
            return
        starts = _block_start_lines(notebook.source)
        rewritten = [
            (start, block, saved_block, cell.code)
            for cell, block, saved_block, start in zip(
                notebook.cells, ours, saved, starts, strict=True
            )
            if _relaid_out(cell.code, block, saved_block)
        ]
        if not rewritten:
            return
        # One finding per notebook, at the first such cell: the cause is usually one habit
        # (an older marimo's `def __()`, a hand-written `return`) repeated in every cell.
        start, block, saved_block, code = rewritten[0]
        markdown = rewrite_problem(code)
        others = len(rewritten) - 1
        also = f" ({others} more cell{'s' if others != 1 else ''} too)" if others else ""
        if markdown is not None:  # a Markdown cell: the editor's Markdown view lays it out anew
            index, change = min(2, len(block) - 1), markdown[1]
        else:
            index, line, other = first_difference(block, saved_block)
            change = f"`{line.strip()}` becomes `{other.strip()}`"
        message = f"marimo's editor rewrites this cell when it saves the notebook{also}: {change}"
        yield self.file_finding(notebook, start + index, message)


def _relaid_out(code: str, block: list[str], saved_block: list[str]) -> bool:
    """Whether saving rewrites the cell without breaking it (broken ones are GL207's)."""
    problem = rewrite_problem(code)
    if problem is not None:
        return not problem[0]
    return block != saved_block


def _block_start_lines(source: str) -> list[int]:
    starts = []
    for number, line in enumerate(source.splitlines(), start=1):
        if _MAIN_GUARD.match(line):
            break
        if _CELL_START.match(line):
            starts.append(number)
    return starts
