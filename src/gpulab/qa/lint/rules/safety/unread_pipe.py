"""GL303 unread-pipe."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import keyword

POPEN_CALLS = {
    "subprocess.Popen",
    "asyncio.create_subprocess_exec",
    "asyncio.create_subprocess_shell",
}
PIPES = {"subprocess.PIPE", "asyncio.subprocess.PIPE", "asyncio.PIPE"}
# Using the handle like this does not read its pipes.
NON_READING = {"wait", "poll", "kill", "terminate", "send_signal", "pid", "returncode", "args"}


def _handle_name(cell: Cell, call: ast.Call) -> str | None | bool:
    """The name the process handle is bound to; None if discarded; True if it escapes somewhere
    we cannot follow (returned, passed on, stored in an attribute or container)."""
    parent = cell.parents.get(call)
    if isinstance(parent, ast.Await):
        parent = cell.parents.get(parent)
    if isinstance(parent, ast.Expr):
        return None
    if (
        isinstance(parent, ast.Assign)
        and len(parent.targets) == 1
        and isinstance(parent.targets[0], ast.Name)
    ):
        return parent.targets[0].id
    if isinstance(parent, ast.withitem) and isinstance(parent.optional_vars, ast.Name):
        return parent.optional_vars.id
    return True


class UnreadPipe(Rule):
    """A child process started with `stdout=PIPE` (or `stderr=PIPE`) whose pipe is never read.

    ## What it does
    Flags `subprocess.Popen(..., stdout=subprocess.PIPE)` (and `stderr=PIPE`,
    `asyncio.create_subprocess_*`) when the handle is thrown away, or when nothing in the notebook
    ever calls `.communicate()`, touches `.stdout`/`.stderr`, or passes the handle on. `.wait()`
    and `.poll()` do not read. `subprocess.run(..., capture_output=True)` reads for you and is
    fine.

    ## Why it matters
    A pipe buffer holds about 64 KiB. Once a chatty child (a training script, `nvidia-smi dmon`,
    a benchmark) fills it, the child blocks on its next write and never finishes; the notebook
    waits on `.wait()` forever or the "background" job silently stops making progress.

    ## Example
    ```python
    proc = subprocess.Popen(["nvidia-smi", "dmon"], stdout=subprocess.PIPE)
    proc.wait()
    ```

    ## Fix
    Read it (`out, err = proc.communicate(timeout=60)`, or iterate `proc.stdout`), send it to a
    file, or discard it with `stdout=subprocess.DEVNULL`.
    """

    code = "GL303"
    name = "unread-pipe"
    severity = Severity.ERROR
    summary = "`Popen(stdout=PIPE)` whose pipe is never read (the child blocks)"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if not (
                    isinstance(node, ast.Call) and notebook.names.call_name(node) in POPEN_CALLS
                ):
                    continue
                piped = [
                    stream
                    for stream in ("stdout", "stderr")
                    if notebook.names.qualname(keyword(node, stream)) in PIPES
                ]
                if not piped:
                    continue
                handle = _handle_name(cell, node)
                if handle is True:
                    continue
                unread = piped if handle is None else self._unread(notebook, str(handle), piped)
                if unread:
                    what = " and ".join(unread)
                    owner = "the discarded handle" if handle is None else f"`{handle}`"
                    yield self.finding(
                        notebook,
                        cell,
                        node,
                        f"{what}=PIPE but {owner}'s {what} is never read: the child blocks once the "
                        "pipe buffer (~64 KiB) fills; call `.communicate()`, read the stream, or "
                        "use `subprocess.DEVNULL`",
                    )

    def _unread(self, notebook: Notebook, handle: str, piped: list[str]) -> list[str]:
        read: set[str] = set()
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if not (
                    isinstance(node, ast.Name)
                    and node.id == handle
                    and isinstance(node.ctx, ast.Load)
                ):
                    continue
                parent = cell.parents.get(node)
                if isinstance(parent, ast.Attribute):
                    if parent.attr == "communicate":
                        return []
                    if parent.attr in ("stdout", "stderr"):
                        read.add(parent.attr)
                    elif parent.attr not in NON_READING:
                        return []  # some other use we cannot follow: assume it reads
                elif isinstance(parent, ast.Compare):
                    continue  # `proc is None`
                else:
                    return []  # passed on, returned or stored: someone else may read it
        return [stream for stream in piped if stream not in read]
