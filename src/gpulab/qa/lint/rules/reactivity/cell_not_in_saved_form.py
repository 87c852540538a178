"""GL208 cell-not-in-saved-form."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import literal_parts
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


def first_difference(ours: list[str], saved: list[str]) -> tuple[int, str]:
    """(index in `ours`, what the editor does there) for the first change saving makes."""
    matcher = difflib.SequenceMatcher(a=ours, b=saved, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        at = min(i1, len(ours) - 1)
        near = ours[at].strip() if ours else ""
        added, removed = saved[j1:j2], ours[i1:i2]
        if tag == "insert" and not any(line.strip() for line in added):
            return at, f"a blank line is added before `{near}`"
        if tag == "delete" and not any(line.strip() for line in removed):
            after = ours[i2].strip() if i2 < len(ours) else ""
            return at, f"the blank line before `{after}` is removed"
        if tag == "replace" and [a.strip() for a in removed] == [b.strip() for b in added]:
            return at, f"the spacing of `{near or removed[0].strip()}` is rewritten (whitespace)"
        old = removed[0].strip() if removed else ""
        new = added[0].strip() if added else ""
        if not old:
            return at, f"`{new}` is added before `{near}`"
        return at, f"`{old}` becomes `{new}`" if new else f"`{old}` is removed"
    return 0, "its layout changes"


def sql_names(notebook: Notebook) -> set[str]:
    """Words in the notebook's `mo.sql(...)` queries: tables a query reads from a Python
    dataframe. Which of them marimo counts as a cell's inputs needs its SQL parser, which a
    linter cannot assume, so `def`/`return` differences in these names are not reported."""
    words: set[str] = set()
    for cell in notebook.parsed_cells:
        for node in cell.nodes:
            if isinstance(node, ast.Call) and notebook.names.call_name(node) == "marimo.sql":
                for arg in node.args[:1]:
                    for part in literal_parts(arg):
                        words.update(re.findall(r"[A-Za-z_]\w*", part))
    return words


def _signature_names(block: list[str]) -> tuple[list[str], set[str]]:
    """The block without its `def` and final `return` lines, and the names those two list."""
    def_at = next((i for i, line in enumerate(block) if line.lstrip().startswith("def ")), None)
    return_at = next(
        (i for i in range(len(block) - 1, -1, -1) if block[i].strip().startswith("return")), None
    )
    if def_at is None or return_at is None or return_at <= def_at:
        return block, set()
    def_end = next((i for i in range(def_at, return_at) if block[i].rstrip().endswith(":")), def_at)
    head = " ".join(block[def_at : def_end + 1])
    tail = " ".join(block[return_at:])
    names = set(re.findall(r"[A-Za-z_]\w*", head.split("(", 1)[-1])) | set(
        re.findall(r"[A-Za-z_]\w*", tail.replace("return", " ", 1))
    )
    rest = block[:def_at] + block[def_end + 1 : return_at]
    return rest, names


def _differs_only_in_sql_names(block: list[str], saved: list[str], words: set[str]) -> bool:
    ours_rest, ours_names = _signature_names(block)
    saved_rest, saved_names = _signature_names(saved)
    changed = ours_names ^ saved_names
    return bool(words) and ours_rest == saved_rest and bool(changed) and changed <= words


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
    Only `.py` notebooks are compared. Which tables of an `mo.sql` query are a cell's inputs
    takes marimo's SQL parser (an optional install), so a `def`/`return` that differs only in
    names a query mentions is not reported.
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
        words = sql_names(notebook)
        rewritten = [
            (start, block, saved_block, cell.code)
            for cell, block, saved_block, start in zip(
                notebook.cells, ours, saved, starts, strict=True
            )
            if _relaid_out(cell.code, block, saved_block)
            and not _differs_only_in_sql_names(block, saved_block, words)
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
            index, change = first_difference(block, saved_block)
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
