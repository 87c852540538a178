"""A function's source read from its file with `ast`, so the notebook can show the training
code without importing torch on first render."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent


def source_of(module: str, name: str) -> str:
    """The source text of top-level function `name` in `gpulab.workloads.pinn.<module>`."""
    text = (HERE / f"{module}.py").read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(text, node) or ""
    raise KeyError(f"no function {name!r} in {module}.py")
