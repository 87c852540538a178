"""GL302 kill-by-name."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gpulab.qa.lint.commands import launches, program, tokens
from gpulab.qa.lint.model import Cell, Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import method_name

PID_LOOKUP = re.compile(r"\b(pgrep|pidof)\b|\bps\b.*\bgrep\b|\bgrep\b")
KILL_METHODS = {"kill", "terminate", "send_signal"}


def kill_command(segment: str, pipeline: str) -> str | None:
    words, _ = tokens(segment)
    if not words:
        return None
    prog = program(words[0])
    if prog in ("pkill", "killall"):
        return f"`{' '.join(words[:4])}`"
    if prog == "fuser" and any(w.startswith("-") and "k" in w for w in words[1:]):
        return "`fuser -k`"
    if prog == "taskkill" and any(w.lower() == "/im" for w in words):
        return "`taskkill /IM`"
    if prog == "kill" and re.search(r"\$\(|`", segment) and PID_LOOKUP.search(pipeline):
        return f"`{segment.strip()[:60]}`"
    if prog == "xargs" and "kill" in words and PID_LOOKUP.search(pipeline):
        return "`... | xargs kill`"
    return None


class KillByName(Rule):
    """Killing processes chosen by name or command-line pattern.

    ## What it does
    Flags `pkill`, `killall`, `fuser -k`, `kill $(pgrep ...)`, `pgrep ... | xargs kill` and
    `taskkill /IM` in launched commands; loops over `psutil.process_iter()` that call `.kill()`,
    `.terminate()` or `.send_signal()`; and `os.kill`/`os.killpg` in code that also looks pids up
    with `pgrep`/`pidof`/`ps | grep`.

    Killing a process you started (`proc.kill()` on your own `Popen`, `os.kill(server.pid, ...)`)
    is not flagged.

    ## Why it matters
    `pkill -9 -f NAME` sends SIGKILL to every process on the machine whose command line
    contains the substring: other users' jobs, the Jupyter server, the marimo kernel itself on a
    bad day. On a shared GPU box that is an outage, not a cleanup.

    ## Example
    ```python
    subprocess.run(["pkill", "-9", "-f", "gpu_burn"])
    ```

    ## Fix
    Keep the handle of what you start and stop only that:
    ```python
    proc = subprocess.Popen(["./gpu_burn", "60"])
    ...
    proc.terminate()
    proc.wait(timeout=10)
    ```
    """

    code = "GL302"
    name = "kill-by-name"
    severity = Severity.ERROR
    summary = "`pkill`/`killall`/psutil loops killing processes by name"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for launch in launches(notebook):
            segments = launch.segments()
            for segment in segments:
                found = kill_command(segment, launch.text)
                if found:
                    yield self._report(notebook, launch.cell, launch.call, found)
                    break
        for cell in notebook.parsed_cells:
            yield from self._psutil_loops(notebook, cell)
            yield from self._os_kill_after_lookup(notebook, cell)

    def _psutil_loops(self, notebook: Notebook, cell: Cell) -> Iterator[Finding]:
        for node in cell.nodes:  # type: ignore[arg-type]
            if isinstance(node, ast.For) and "process_iter" in ast.unparse(node.iter):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and (
                        method_name(inner) in KILL_METHODS
                        or notebook.names.call_name(inner) in ("os.kill", "os.killpg")
                    ):
                        yield self._report(
                            notebook,
                            cell,
                            node,
                            "a `psutil.process_iter()` loop that kills matches",
                        )
                        break

    def _os_kill_after_lookup(self, notebook: Notebook, cell: Cell) -> Iterator[Finding]:
        lookups = [
            launch.call
            for launch in launches(notebook)
            if launch.cell is cell and PID_LOOKUP.search(launch.text)
        ]
        if not lookups:
            return
        derived = _derived_names(cell, lookups)
        for node in cell.nodes:  # type: ignore[arg-type]
            if not (isinstance(node, ast.Call) and node.args):
                continue
            if notebook.names.call_name(node) not in ("os.kill", "os.killpg"):
                continue
            pid = node.args[0]
            from_lookup = any(
                isinstance(sub, ast.Name) and sub.id in derived for sub in ast.walk(pid)
            ) or any(sub in lookups for sub in ast.walk(pid))
            if from_lookup:
                yield self._report(
                    notebook, cell, node, "`os.kill` on pids found by name (`pgrep`/`ps | grep`)"
                )

    def _report(self, notebook: Notebook, cell: Cell, node: ast.AST, what: str) -> Finding:
        return self.finding(
            notebook,
            cell,
            node,
            f"kills processes by name: {what}; on a shared machine that hits other users' jobs "
            "and servers; keep the `Popen` handle of what you started and stop only that",
        )


def _derived_names(cell: Cell, sources: list[ast.Call]) -> set[str]:
    """Names whose value comes from one of `sources` (assignments and loops, to a fixpoint)."""
    derived: set[str] = set()

    def tainted(expr: ast.AST) -> bool:
        return any(
            sub in sources or (isinstance(sub, ast.Name) and sub.id in derived)
            for sub in ast.walk(expr)
        )

    changed = True
    while changed:
        changed = False
        for node in cell.nodes:  # type: ignore[arg-type]
            if isinstance(node, ast.Assign):
                value, targets = node.value, node.targets
            elif isinstance(node, ast.For | ast.comprehension):
                value, targets = node.iter, [node.target]
            else:
                continue
            if not tainted(value):
                continue
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and name.id not in derived:
                        derived.add(name.id)
                        changed = True
    return derived
