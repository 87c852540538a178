"""GL207 markdown-cell-rewritten."""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from collections.abc import Iterator

from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity

# The one form marimo's editor keeps as it is: the text on its own lines in a triple-quoted
# string, raw or f-string, and nothing else in the cell.
_KEPT = re.compile(r'mo\.md\((?P<prefix>[rRfF]{0,2})"""\n(?P<body>.*)\n"""\)', re.DOTALL)
_PREFIX = re.compile(r"mo\.md\(\s*(?P<prefix>[rRfF]{0,2})")
_RELAID_OUT = 'the editor saves it back as mo.md(r"""<newline>text<newline>""")'
_STRING_TOKENS = tuple(
    getattr(tokenize, name) for name in ("STRING", "FSTRING_START") if hasattr(tokenize, name)
)


def shown_as_markdown(code: str) -> bool:
    """Whether the editor shows the cell as a Markdown cell: its whole code is `mo.md(<string>)`
    with one string argument (implicit concatenation and f-strings included), no comment."""
    text = code.strip()
    if not text.startswith("mo.md("):
        return False
    try:
        module = ast.parse(text)
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (SyntaxError, tokenize.TokenError, IndentationError):
        return False
    if len(module.body) != 1 or not isinstance(module.body[0], ast.Expr):
        return False
    call = module.body[0].value
    if not (isinstance(call, ast.Call) and len(call.args) == 1 and not call.keywords):
        return False
    argument = call.args[0]
    segment = ast.get_source_segment(text, argument) or ""
    is_string = isinstance(argument, ast.JoinedStr) or (
        isinstance(argument, ast.Constant) and isinstance(argument.value, str)
    )
    return (
        is_string
        and not segment.startswith("(")
        and tokenize.COMMENT not in {token.type for token in tokens}
    )


@functools.lru_cache(maxsize=4096)
def rewrite_problem(code: str) -> tuple[bool, str] | None:
    """(whether the rewrite breaks the cell, what the editor does) for a Markdown cell the editor
    rewrites on save; None when it keeps the cell as written."""
    text = code.strip()
    if not shown_as_markdown(text):
        return None
    pieces = sum(1 for token in tokenize.generate_tokens(io.StringIO(text).readline)
                 if token.type in _STRING_TOKENS)  # fmt: skip
    if pieces > 1:
        return True, (
            "its text is several strings joined by implicit concatenation; the editor turns the "
            "cell into one Markdown string with the quotes and the `f` prefixes inside it, and "
            "saves broken code"
        )
    kept = _KEPT.fullmatch(text)
    if kept is not None and '"""' in kept["body"]:
        return True, 'its text holds `"""`, which the editor escapes when it saves the cell'
    prefix = _PREFIX.match(text)
    body = kept["body"] if kept is not None else text[prefix.end() :]
    if "r" not in prefix["prefix"].lower() and "\\" in body:
        return False, "the editor re-saves its backslash escapes as the characters they stand for"
    if kept is None:
        return False, _RELAID_OUT
    return None


class MarkdownCellRewritten(Rule):
    """A Markdown cell that marimo's editor breaks, or whose meaning it changes, when it saves.

    ## What it does
    marimo's editor shows every cell whose whole code is `mo.md(<string>)` as a Markdown cell, and
    writes it back from that Markdown when the notebook is saved (autosave saves seconds after
    opening). Only one form survives that round trip unchanged:

    ```python
    mo.md(r\"\"\"
    # Title
    Text, with `{braces}` in an f-string if the prefix is `f`.
    \"\"\")
    ```

    This rule flags the Markdown cells whose rewrite changes what they do: text built by implicit
    concatenation of several strings (`"a" f"{b}"`) and a triple quote inside the text. A cell
    the editor only lays out anew (a one-line `mo.md("...")` saved back on three lines, escapes
    written out) is reported by GL208 (cell-not-in-saved-form) as a warning.

    ## Why it matters
    Opening the notebook changes it on disk, and not only its layout. For concatenated strings
    the rewrite is broken code:
    the pieces become one string with the quotes and `f` prefixes inside it, so the cell shows
    `"` and `f"` literally and the values it formatted (`{inspect.getsource(...)}`) are lost,
    together with the imports only that cell used.

    ## Example
    ```python
    mo.md(
        "## The loss\\n\\n"
        f"```python\\n{inspect.getsource(loss)}```"
    )
    ```

    ## Fix
    Write the text in the kept form above, or build it first so the cell is not only `mo.md`:
    ```python
    _source = inspect.getsource(loss)
    mo.md(f"## The loss\\n\\n```python\\n{_source}```")
    ```

    ## Known problems
    The form the editor keeps is read off marimo 0.25's editor; another marimo minor may keep more
    forms. `tests/runner/test_editor_roundtrip` (the browser test) checks our notebooks in the
    real editor.
    """

    code = "GL207"
    name = "markdown-cell-rewritten"
    severity = Severity.ERROR
    summary = "A Markdown cell marimo's editor breaks when it saves the notebook"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            problem = rewrite_problem(cell.code)
            if problem is not None and problem[0]:
                yield self.finding(notebook, cell, _first(cell), _message(problem[1]))


def _first(cell: Cell) -> ast.AST:
    return cell.body[0]


def _message(problem: str) -> str:
    return (
        f"marimo's editor shows this cell as Markdown and rewrites it on save: {problem}; write it "
        'as mo.md(r"""<newline>text<newline>""") or build the text in a variable first'
    )
