"""Text the reader sees: the module docstring and the literal prose of `mo.md` and friends."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from gpulab.qa.lint.analysis import enclosing
from gpulab.qa.lint.model import Cell, Notebook
from gpulab.qa.lint.names import literal_parts, root_call

DISPLAY_TEXT_CALLS = {"marimo.md", "marimo.callout", "marimo.Html"}


@dataclass(frozen=True)
class Text:
    """Literal prose shown to the reader: the module docstring, or an `mo.md` string's literal
    parts (interpolated values are not text: they were measured)."""

    cell: Cell | None
    node: ast.AST
    parts: tuple[str, ...]
    file_line: int  # where the string starts in the file
    is_plain: bool  # a plain string, so offsets inside it map to lines


def header_docstring_node(header: str) -> ast.Constant | None:
    try:
        module = ast.parse(header or "")
    except SyntaxError:
        return None
    if module.body and isinstance(module.body[0], ast.Expr):
        value = module.body[0].value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value
    return None


def markdown_texts(notebook: Notebook) -> Iterator[Text]:
    doc = header_docstring_node(notebook.header)
    if doc is not None:
        yield Text(None, doc, (str(doc.value),), doc.lineno, True)
    for cell in notebook.parsed_cells:
        for node in cell.nodes:  # type: ignore[arg-type]
            if not (isinstance(node, ast.Call) and node.args):
                continue
            if notebook.names.call_name(node) in DISPLAY_TEXT_CALLS:
                arg = _literal_behind(cell, node.args[0])
                parts = literal_parts(arg, interpolated_text=True)
                if parts:
                    plain = isinstance(arg, ast.Constant)
                    yield Text(cell, arg, tuple(parts), cell.line_of(arg), plain)


def _literal_behind(cell: Cell, node: ast.expr) -> ast.expr:
    """`text = "..."; mo.md(text)`: the literal a name was assigned in the same cell."""
    if not isinstance(node, ast.Name):
        return node
    for candidate in cell.scope_nodes(cell.body):
        if (
            isinstance(candidate, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in candidate.targets)
            and isinstance(candidate.value, ast.Constant | ast.JoinedStr)
        ):
            return candidate.value
    return node


def inside_call_named(notebook: Notebook, cell: Cell, node: ast.AST, names: set[str]) -> bool:
    return any(
        (notebook.names.call_name(parent) or "") in names
        for parent, _ in enclosing(cell, node, ast.Call)
    )


def root_call_name(notebook: Notebook, node: ast.AST) -> str | None:
    """`mo.md("x").callout()` -> 'marimo.md'."""
    call = root_call(node)
    return notebook.names.call_name(call) if call is not None else None
