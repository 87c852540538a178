"""Resolve what a name in a notebook refers to, through the notebook's own imports.

marimo cells share one namespace, so `import torch as th` in the first cell makes `th.cuda` in
every other cell mean `torch.cuda`. Rules match on these qualified names, never on spelling.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

# Conventional aliases, used only when the notebook itself never binds the name.
CONVENTIONAL_ALIASES = {
    "mo": "marimo",
    "np": "numpy",
    "pd": "pandas",
    "cp": "cupy",
    "plt": "matplotlib.pyplot",
    "alt": "altair",
    "px": "plotly.express",
    "go": "plotly.graph_objects",
}


class Names:
    def __init__(self, trees: Iterable[ast.AST | None]) -> None:
        self.aliases: dict[str, str] = {}
        for tree in trees:
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            self.aliases.setdefault(alias.asname, alias.name)
                        else:
                            root = alias.name.split(".")[0]
                            self.aliases.setdefault(root, root)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        if alias.name != "*":
                            self.aliases.setdefault(
                                alias.asname or alias.name, f"{node.module}.{alias.name}"
                            )

    def resolve(self, name: str) -> str:
        if name in self.aliases:
            return self.aliases[name]
        return CONVENTIONAL_ALIASES.get(name, name)

    def qualname(self, node: ast.AST | None) -> str | None:
        """`th.cuda.synchronize` -> `torch.cuda.synchronize`; None for anything but a dotted name."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.resolve(node.id))
        return ".".join(reversed(parts))

    def call_name(self, node: ast.AST) -> str | None:
        """Qualified name of the function a call invokes, if it is a plain dotted name."""
        if isinstance(node, ast.Call):
            return self.qualname(node.func)
        return None


def method_name(call: ast.AST) -> str | None:
    """`x.backward()` -> 'backward'; `f()` -> 'f'; anything else -> None."""
    if not isinstance(call, ast.Call):
        return None
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def root_call(node: ast.AST) -> ast.Call | None:
    """The innermost call a method chain starts from: `mo.md("x").callout()` -> `mo.md("x")`."""
    found: ast.Call | None = None
    while True:
        if isinstance(node, ast.Call):
            found = node
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            return found


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def string_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def literal_parts(node: ast.AST | None, interpolated_text: bool = False) -> list[str]:
    """The literal text of a string or f-string (interpolated values left out; with
    `interpolated_text`, the string literals an interpolation picks between are kept:
    `{"tip" if ok else ""}` shows literal text too)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if not isinstance(node, ast.JoinedStr):
        return []
    parts: list[str] = []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            parts.append(part.value)
        elif interpolated_text and isinstance(part, ast.FormattedValue):
            parts.extend(_chosen_strings(part.value))
    return parts


def _chosen_strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _chosen_strings(node.body) + _chosen_strings(node.orelse)
    return []
