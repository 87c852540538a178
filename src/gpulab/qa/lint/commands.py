"""Recover the shell command a notebook launches (`subprocess.run([...])`, `os.system("...")`).

Best effort, statically: list and string literals, f-strings (interpolations become `{}`),
`sys.executable` (read as `python`), `shlex.split("...")`, and a name assigned a literal in the
same cell. Segments are split on `&&`, `||`, `;`, `|` and newlines, so `cd x && make` is two.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from gpulab.qa.lint.model import Cell, Notebook
from gpulab.qa.lint.names import keyword, literal_parts, method_name, string_value

# Calls whose first argument is a command (list or string).
PROCESS_CALLS = {
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "os.system",
    "os.popen",
    "asyncio.create_subprocess_shell",
    "pexpect.run",
    "pexpect.spawn",
}
# Calls whose positional arguments are the argv, one per argument.
ARGV_CALLS = {
    "asyncio.create_subprocess_exec",
    "os.execv",
    "os.execvp",
    "os.execl",
    "os.execlp",
    "os.spawnv",
    "os.spawnvp",
    "os.spawnlp",
}
# IPython-style escape hatches sometimes pasted into marimo notebooks.
IPYTHON_METHODS = {"system", "getoutput", "run_line_magic", "run_cell_magic", "run_cell"}

_SPLIT = re.compile(r"&&|\|\||;|\||\n")


@dataclass(frozen=True)
class Launch:
    """One process launch in a cell: the call and the command text recovered from it."""

    cell: Cell
    call: ast.Call
    text: str

    def segments(self) -> list[str]:
        return [segment.strip() for segment in _SPLIT.split(self.text) if segment.strip()]


def launches(notebook: Notebook) -> list[Launch]:
    """Every process launch in the notebook (computed once per notebook)."""
    if "launches" not in notebook.memo:
        notebook.memo["launches"] = list(_find_launches(notebook))
    return notebook.memo["launches"]


def _find_launches(notebook: Notebook) -> Iterator[Launch]:
    for cell in notebook.parsed_cells:
        assignments = _literal_assignments(cell)
        for node in cell.nodes:  # type: ignore[arg-type]
            if not isinstance(node, ast.Call):
                continue
            name = notebook.names.call_name(node) or ""
            if name in PROCESS_CALLS or _is_ipython_call(node):
                command = (
                    node.args[0] if node.args else keyword(node, "args") or keyword(node, "cmd")
                )
                if _is_ipython_call(node) and len(node.args) > 1:
                    command = node.args[-1]
                text = render(notebook, command, assignments)
            elif name in ARGV_CALLS:
                args = node.args[1:] if name.startswith("os.spawn") else node.args
                text = " ".join(render(notebook, arg, assignments) for arg in args)
            else:
                continue
            if text:
                yield Launch(cell, node, text)


def _is_ipython_call(node: ast.Call) -> bool:
    return (
        isinstance(node.func, ast.Attribute)
        and node.func.attr in IPYTHON_METHODS
        and isinstance(node.func.value, ast.Call)
        and method_name(node.func.value) == "get_ipython"
    )


def _literal_assignments(cell: Cell) -> dict[str, ast.expr]:
    out: dict[str, ast.expr] = {}
    for node in cell.nodes:  # type: ignore[arg-type]
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(
                node.value, ast.List | ast.Tuple | ast.Constant | ast.JoinedStr
            ):
                out[target.id] = node.value
    return out


def render(
    notebook: Notebook, node: ast.AST | None, assignments: dict[str, ast.expr], depth: int = 0
) -> str:
    """Shell-ish text for a command argument; unknown parts become `{}`."""
    if node is None or depth > 3:
        return ""
    if isinstance(node, ast.List | ast.Tuple):
        return " ".join(render(notebook, element, assignments, depth + 1) for element in node.elts)
    value = string_value(node)
    if value is not None:
        return value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    if isinstance(node, ast.Starred):
        return render(notebook, node.value, assignments, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = render(notebook, node.left, assignments, depth + 1)
        right = render(notebook, node.right, assignments, depth + 1)
        joiner = " " if isinstance(node.left, ast.List | ast.Tuple) else ""
        return left + joiner + right
    name = notebook.names.qualname(node)
    if name == "sys.executable":
        return "python"
    if isinstance(node, ast.Name) and node.id in assignments:
        return render(notebook, assignments[node.id], assignments, depth + 1)
    if isinstance(node, ast.Call):
        call_name = notebook.names.call_name(node)
        if call_name == "shlex.split" and node.args:
            return render(notebook, node.args[0], assignments, depth + 1)
        if method_name(node) == "join" and node.args:
            return render(notebook, node.args[0], assignments, depth + 1)
    return "{}"


def tokens(segment: str) -> tuple[list[str], bool]:
    """Words of one command segment without `sudo`/`env`/`VAR=1` prefixes, and whether sudo ran."""
    words = segment.split()
    used_sudo = False
    while words:
        head = words[0]
        if head in ("sudo", "doas"):
            used_sudo = True
            words = words[1:]
            while words and words[0].startswith("-"):
                words = words[1:]
        elif head in ("env", "nohup", "time", "exec", "command") or re.match(r"^\w+=", head):
            words = words[1:]
        else:
            break
    return words, used_sudo


def program(word: str) -> str:
    return word.rsplit("/", 1)[-1].lower()


def literal_strings(notebook: Notebook, cell: Cell) -> Iterator[tuple[ast.AST, str]]:
    """All string literals (and f-string literal text) in a cell."""
    for node in cell.nodes:  # type: ignore[arg-type]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node, node.value
        elif isinstance(node, ast.JoinedStr):
            yield node, "".join(literal_parts(node))
