"""report.json and report.md: results merged across runs into one notebook x device/profile matrix.

A run replaces only its own (notebook, device, profile) rows and keeps the others, so CPU CI and
the H100 run written into the same folder sit side by side.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gpulab.errors import UsageError

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def _key(entry: dict[str, Any]) -> tuple[str, str, str]:
    return (entry["notebook"], entry["device"], entry["profile"])


def load(report_dir: Path) -> list[dict[str, Any]]:
    """Earlier results in `report_dir`; refuses a report.json that is not ours."""
    if report_dir.exists() and not report_dir.is_dir():
        raise UsageError(f"--report {report_dir}: is a file, not a folder")
    path = report_dir / REPORT_JSON
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(entries, list) and all(len(_key(entry)) == 3 for entry in entries):
            return entries
    except (ValueError, KeyError, TypeError):
        pass
    raise UsageError(f"{path} is not a gpulab test report; choose another --report folder")


def merge(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = {_key(entry): entry for entry in old}
    rows.update((_key(entry), entry) for entry in new)
    return [rows[key] for key in sorted(rows)]


def _column(entry: dict[str, Any]) -> str:
    return f"{entry['device']} · {entry['profile']}"


def _column_order(column: str) -> tuple[bool, str, bool, str]:
    """CPU first, then each GPU with its memory-budget columns right after its own."""
    gpu, _, _rest = column.partition(" as ")
    return (not column.startswith("cpu"), gpu.split(" · ")[0], " as " in column, column)


def _cell_text(entry: dict[str, Any]) -> str:
    status = entry["status"]
    parts = [f"**{status}**" if status in ("fail", "timeout") else status]
    error = entry.get("error")
    if status == "fail" and error:
        where = f" in {error['cell']}" if error.get("cell") else ""
        parts.append(f"{error['type']}{where}")
    elif status == "skipped" and entry.get("reason"):
        parts.append(_short(entry["reason"], 60))
    figures = [f"{entry['seconds']:.1f} s"]
    peak, budget = entry.get("peak_gpu_mib"), entry.get("memory_budget_mib")
    if peak is not None and budget is not None:
        over = " **over budget**" if peak > budget else ""
        figures.append(f"{peak:.0f} of {budget:.0f} MiB{over}")
    elif peak is not None:
        figures.append(f"{peak:.0f} MiB")
    if entry.get("first_render_s") is not None:
        figures.append(f"render {entry['first_render_s']:.1f} s")
    return _escape(": ".join(parts) + " (" + ", ".join(figures) + ")")


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(entries: list[dict[str, Any]]) -> str:
    """The matrix (one row per notebook, one column per device · profile), then the details."""
    columns = sorted({_column(entry) for entry in entries}, key=_column_order)
    notebooks = sorted({entry["notebook"] for entry in entries})
    cells = {(entry["notebook"], _column(entry)): entry for entry in entries}
    lines = [
        "# Notebook test matrix",
        "",
        "Written by `gpulab test` (docs/gpu-testing.md). Each run merges its rows into "
        "report.json, so CPU CI and GPU runs sit side by side. Figures: wall time of the "
        "notebook's process, peak GPU memory of its processes (NVML; absent where there is no "
        'GPU), time to first render in headless Chromium (with `--browser`). A column "as 24 GiB '
        "(budget 22.0 GiB)\" ran under `--memory-budget`: the process's GPU memory capped, the "
        "notebook sizing itself from the budget; its peak is shown against the budget (NVML "
        "counts the CUDA context too).",
        "",
        "| notebook | " + " | ".join(_escape(column) for column in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for notebook in notebooks:
        row = [cells.get((notebook, column)) for column in columns]
        texts = [_cell_text(entry) if entry else "–" for entry in row]
        lines.append(f"| `{notebook}` | " + " | ".join(texts) + " |")
    details = [entry for entry in entries if entry["status"] != "pass"]
    if details:
        lines += ["", "## Not passing", ""]
        for entry in details:
            lines.append(f"- `{entry['notebook']}` on {_column(entry)}: {_detail(entry)}")
    runs: dict[str, str] = {}
    for entry in entries:
        runs[_column(entry)] = max(runs.get(_column(entry), ""), entry.get("ran_at", ""))
    lines += ["", "## Runs", "", "| device · profile | last run (UTC) |", "|---|---|"]
    lines += [f"| {_escape(column)} | {runs[column]} |" for column in columns]
    return "\n".join(lines) + "\n"


def _detail(entry: dict[str, Any]) -> str:
    error = entry.get("error")
    if entry["status"] == "fail" and error:
        where = f"{error['cell']} (`{error.get('code', '')}`) raised " if error.get("cell") else ""
        return _escape(f"{where}{error['type']}: {_short(error['message'], 300)}")
    return _escape(f"{entry['status']}: {_short(entry.get('reason') or '', 300)}")


def write(report_dir: Path, results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge `results` into report_dir/report.json and rewrite report.md; returns all rows."""
    report_dir.mkdir(parents=True, exist_ok=True)
    entries = merge(load(report_dir), results)
    (report_dir / REPORT_JSON).write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    (report_dir / REPORT_MD).write_text(render_markdown(entries), encoding="utf-8")
    return entries
