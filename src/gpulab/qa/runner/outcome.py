"""From what every cell did to one verdict: pass, fail, skipped or timeout, and why.

Rules (docs/gpu-testing.md repeats them for users):
- fail: some cell raised, or could not run for a reason of its own (syntax error, a variable
  defined twice, a cycle). The root cause is the first such cell in notebook order; a cell that
  only failed because an ancestor raised ("An ancestor raised an exception") is an echo and never
  the root cause. When no cell raised, a cell that showed an error callout (`kind="danger"`: a
  step that failed and was caught, results that disagree, settings that cannot run) fails too. A kernel that died, or a notebook marimo cannot load, is a fail with no cell.
- skipped: nothing failed, but a `mo.stop` stopped a cell that other cells depend on. The runner
  passes the profile (`--profile=smoke --smoke=true`) so run-button gates are open; a stop that
  still fires is deliberate ("needs a GPU"), and its output's text is the reason. A closed gate in
  a notebook that ignores the profile is reported the same way, never as a pass: its work did not
  run. A `mo.stop` in a cell nothing depends on leaves no trace in marimo's outputs (it looks like
  an ordinary output), so it cannot be told apart from one.
- pass: otherwise.
- timeout: decided by the caller, which killed the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, SKIPPED, TIMEOUT = "pass", "fail", "skipped", "timeout"
STATUSES = (PASS, FAIL, SKIPPED, TIMEOUT)

# Errors a cell shows only because of another cell; marimo names that cell in `raising_cell`.
_ECHO_KINDS = {"ancestor-stopped", "ancestor-prevented"}


@dataclass
class CellError:
    """The root cause of a failure: which cell, which exception, its message."""

    cell: str | None
    type: str
    message: str
    code: str = ""
    traceback: str | None = None


@dataclass
class CellStatus:
    cell: str
    status: str  # ok | error | stopped | not-run


@dataclass
class Verdict:
    status: str
    error: CellError | None = None
    reason: str | None = None
    cells: list[CellStatus] = field(default_factory=list)


def cell_label(cell: dict[str, Any]) -> str:
    """A named cell by its name, others by their 1-based position: what a reader can find."""
    name = cell.get("name") or "_"
    return name if name != "_" else f"cell {cell['index']}"


def _is_echo(error: dict[str, Any]) -> bool:
    return error["kind"] in _ECHO_KINDS or (
        error["kind"] == "exception" and error.get("raising_cell") is not None
    )


def classify(run: dict[str, Any]) -> Verdict:
    """Verdict for one notebook from the child's JSON (see child.py)."""
    crash = run.get("crash")
    if crash:
        return Verdict(FAIL, error=CellError(None, crash["type"], crash["message"]))
    cells: list[dict[str, Any]] = run["cells"]
    stopped_by = {
        error["raising_cell"]
        for cell in cells
        for error in cell["errors"]
        if error["kind"] == "ancestor-stopped"
    }
    root: CellError | None = None
    statuses = []
    for cell in cells:
        own = [error for error in cell["errors"] if not _is_echo(error)]
        if own and root is None:
            first = own[0]
            root = CellError(
                cell_label(cell),
                first["type"],
                first["message"],
                code=cell["code"],
                traceback=cell.get("traceback"),
            )
        if own:
            status = "error"
        elif cell["errors"] or not cell["ran"]:
            status = "not-run"
        elif cell["id"] in stopped_by:
            status = "stopped"
        else:
            status = "ok"
        statuses.append(CellStatus(cell_label(cell), status))
    if root is not None:
        return Verdict(FAIL, error=root, cells=statuses)
    alerted = next((cell for cell in cells if cell.get("alerts")), None)
    if alerted is not None:
        error = CellError(
            cell_label(alerted), "ErrorCallout", alerted["alerts"][0], alerted["code"]
        )
        return Verdict(FAIL, error=error, cells=statuses)
    if any(cell["errors"] for cell in cells) and not stopped_by:
        # Echoes with no cell of their own to blame: report the first rather than a pass.
        cell = next(cell for cell in cells if cell["errors"])
        error = cell["errors"][0]
        return Verdict(
            FAIL, error=CellError(cell_label(cell), error["type"], error["message"]), cells=statuses
        )
    if stopped_by:
        stopper = next(cell for cell in cells if cell["id"] in stopped_by)
        text = (stopper.get("output") or "").strip()
        reason = text or f"{cell_label(stopper)} stopped with mo.stop and no message"
        return Verdict(SKIPPED, reason=reason, cells=statuses)
    return Verdict(PASS, cells=statuses)
