"""A function's source read from its file without importing it (no torch on first render)."""

from __future__ import annotations

import ast
from pathlib import Path


def source_of(module: str, qualname: str) -> str:
    """The source of `qualname` ("Class.method" or "function") in this package's `module`."""
    path = Path(__file__).with_name(f"{module}.py")
    text = path.read_text()
    node: ast.AST = ast.parse(text)
    for part in qualname.split("."):
        node = next(
            n
            for n in ast.iter_child_nodes(node)
            if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == part
        )
    lines = text.splitlines()[node.lineno - 1 : node.end_lineno]
    indent = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join(line[indent:] for line in lines)
