"""Run one notebook to completion and write what every cell did as JSON; the parent reads it.

Usage (by `execute.py`, never by hand): python -m gpulab.qa.runner.child NOTEBOOK OUT.json [ARGS...]

This is what `marimo export session` runs (`run_notebook`: every cell runs, a failing cell does not
stop independent ones), but the session JSON that command writes drops the two facts a root cause
needs: an error's exception type and the cell it came from (`raising_cell`, which tells a cell's
own exception from an "ancestor raised" echo and names the cell behind an "ancestor stopped").
So the child calls the same function and reads marimo's error structs itself. Private API: the
marimo minor is pinned in pyproject.toml.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

MAX_TEXT = 500
TRACEBACK_MIME = "application/vnd.marimo+traceback"
_BLOCK_TAGS = {"p", "div", "br", "li", "pre", "h1", "h2", "h3", "h4", "tr"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # marimo's callouts and other custom elements carry their content as a JSON-encoded
        # HTML string in data-html; it is the visible text.
        inner = _decoded(dict(attrs).get("data-html"))
        if inner:
            self.parts.append(html_to_text(inner, collapse=False))
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


class _AlertParser(HTMLParser):
    """Collects the text of every `kind="danger"` callout, nested ones included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.alerts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        inner = _decoded(values.get("data-html"))
        if tag == "marimo-callout-output" and _decoded(values.get("data-kind")) == "danger":
            self.alerts.append(" ".join(html_to_text(inner).split())[:MAX_TEXT])
        elif inner:
            self.alerts.extend(danger_callouts(inner))


def _decoded(value: str | None) -> str:
    """A JSON-encoded attribute of marimo's custom elements, as the string it holds."""
    if not value:
        return ""
    try:
        inner = json.loads(value)
    except ValueError:
        return value
    return inner if isinstance(inner, str) else ""


def danger_callouts(html: str) -> list[str]:
    """The text of each error callout in a cell's HTML output: a failure the notebook showed."""
    parser = _AlertParser()
    parser.feed(html)
    parser.close()
    return parser.alerts


def html_to_text(html: str, *, collapse: bool = True) -> str:
    """Visible text of marimo's HTML output, for a skip reason or a traceback in a report."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    if collapse:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _output_text(mimetype: str, data: Any) -> str:
    if mimetype in ("text/html", "text/markdown"):
        text = html_to_text(str(data))
    elif mimetype == "text/plain":
        text = " ".join(str(data).split())
    else:
        text = f"<{mimetype}>"
    return text[:MAX_TEXT]


def _error_dict(error: Any) -> dict[str, Any]:
    """marimo error struct (or its dict form) -> kind, exception type, message, raising cell."""
    if isinstance(error, dict):
        fields = error
        type_name = str(error.get("exception_type") or error.get("type") or "UnknownError")
        message = str(error.get("msg", ""))
    else:
        import msgspec

        fields = msgspec.to_builtins(error)
        type_name = (
            fields.get("exception_type")
            or fields.get("error_type")
            or type(error).__name__.removeprefix("Marimo")
        )
        message = error.describe()
    return {
        "kind": fields.get("type", "unknown"),
        "type": type_name,
        "message": message[:MAX_TEXT],
        "raising_cell": fields.get("raising_cell"),
    }


def _cells_json(file_manager: Any, view: Any) -> list[dict[str, Any]]:
    from marimo._messaging.cell_output import CellChannel

    cells = []
    manager = file_manager.app.cell_manager
    for index, cell_id in enumerate(manager.cell_ids(), start=1):
        data = manager.cell_data_at(cell_id)
        code_lines = [line for line in data.code.splitlines() if line.strip()]
        entry: dict[str, Any] = {
            "id": cell_id,
            "index": index,
            "name": data.name,
            "code": code_lines[0].strip()[:120] if code_lines else "",
            "ran": False,
            "output": None,
            "alerts": [],
            "errors": [],
            "traceback": None,
        }
        notification = view.cell_notifications.get(cell_id)
        output = notification.output if notification else None
        if output is not None:
            entry["ran"] = True
            if output.channel == CellChannel.MARIMO_ERROR:
                entry["errors"] = [_error_dict(error) for error in output.data]
            else:
                entry["output"] = _output_text(output.mimetype, output.data)
                if output.mimetype == "text/html":
                    entry["alerts"] = danger_callouts(str(output.data))
        consoles = notification.console if notification else None
        if consoles is not None and not isinstance(consoles, list):
            consoles = [consoles]
        for console in consoles or []:
            if console.mimetype == TRACEBACK_MIME:
                entry["traceback"] = html_to_text(str(console.data), collapse=False)[-4000:]
        cells.append(entry)
    return cells


class _StartedProcesses:
    """Every multiprocessing child this process starts: marimo's kernel is one.

    Polling `multiprocessing.active_children()` misses a kernel that dies between two polls
    (marimo reaps it), so the start itself is recorded.
    """

    def __init__(self) -> None:
        self.processes: list[multiprocessing.process.BaseProcess] = []
        original = multiprocessing.process.BaseProcess.start

        def start(process: multiprocessing.process.BaseProcess) -> None:
            original(process)
            self.processes.append(process)

        multiprocessing.process.BaseProcess.start = start  # type: ignore[method-assign]

    def exit_code(self) -> int | None:
        for process in self.processes:
            try:
                code = process.exitcode
            except ValueError:  # closed by its owner: it had exited
                code = -1
            if code is not None:
                return code
        return None

    async def wait_for_exit(self) -> int:
        while (code := self.exit_code()) is None:
            await asyncio.sleep(0.2)
        return code


def _death_message(code: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        hint = " (often the out-of-memory killer)" if -code == signal.SIGKILL else ""
        return f"the notebook's kernel was killed by {name}{hint}"
    return f"the notebook's kernel exited with status {code} (sys.exit or os._exit in a cell?)"


async def _run(notebook: Path, args: list[str]) -> dict[str, Any]:
    import marimo
    from marimo._cli.parse_args import parse_args
    from marimo._export.file import run_notebook
    from marimo._export.requests import NotebookExecutionOptions, RunNotebookRequest
    from marimo._session.notebook import load_notebook

    result: dict[str, Any] = {"marimo": marimo.__version__, "cells": [], "crash": None}
    try:
        file_manager = load_notebook(str(notebook))
    except Exception as err:  # an unparsable file is the notebook's failure, not ours
        result["crash"] = {"type": type(err).__name__, "message": str(err)[:MAX_TEXT]}
        return result
    options = NotebookExecutionOptions(
        cli_args=parse_args(tuple(args)) if args else {},
        argv=list(args),
        quiet=True,
        persist_session=False,  # no __marimo__/ litter next to the user's notebook
    )
    run = asyncio.create_task(
        run_notebook(RunNotebookRequest(file_manager=file_manager, options=options))
    )
    watch = asyncio.create_task(_StartedProcesses().wait_for_exit())
    await asyncio.wait({run, watch}, return_when=asyncio.FIRST_COMPLETED)
    if not run.done():
        # The kernel also exits at a normal end, inside run_notebook; give that a moment.
        await asyncio.wait({run}, timeout=2.0)
    watch.cancel()
    if run.done():
        view, _did_error = run.result()
        result["cells"] = _cells_json(file_manager, view)
    else:
        code = watch.result() if watch.done() and not watch.cancelled() else -1
        result["crash"] = {"type": "KernelDied", "message": _death_message(code)}
    return result


def main(argv: list[str]) -> int:
    notebook, out, args = Path(argv[0]), Path(argv[1]), argv[2:]
    result = asyncio.run(_run(notebook.resolve(), args))
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    if result["crash"] and result["crash"]["type"] == "KernelDied":
        sys.stdout.flush()
        os._exit(0)  # session threads of a dead kernel may never finish
    return 0


if __name__ == "__main__":  # multiprocessing spawns the kernel: keep this guard
    sys.exit(main(sys.argv[1:]))
