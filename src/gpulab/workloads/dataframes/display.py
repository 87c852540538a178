"""What the notebook shows, as plain data: the results table, the notes below it and the one-line
verdict of the equality checks. Every time is the median with its p10-p90 spread and, when the
slowest repeats are far above the median, a noise warning beside it; every ratio is printed the
same way (`format_ratio`) wherever it appears."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gpulab.timing import format_seconds

from .config import REFERENCE
from .records import OpRecord
from .results import SuiteResult, format_ratio


def check_word(rec: OpRecord) -> str:
    """An op's check in one word (the reasons are in the notes and callouts)."""
    if rec.skipped:
        return "skipped"
    if rec.error:
        return "error"
    if rec.equality is None:
        return "reference" if rec.engine == REFERENCE else "not checked"
    return "equal" if rec.equality.ok else "MISMATCH"


def result_table(runs: Sequence[SuiteResult]) -> list[dict[str, Any]]:
    """One row per table size, operation and engine: median, p10-p90, a noise warning, the
    ratio to pandas (only for a matching result) and the check; a `to host` column only when
    some result was copied back from a GPU."""
    with_copies = any(rec.to_host for run in runs for _, _, rec in run.records())
    rows = []
    for run in runs:
        for name, op, rec in run.records():
            ratio = run.speedups(op).get(name) if name != REFERENCE else None
            timing = rec.timing
            row: dict[str, Any] = {
                "rows": f"{run.dataset.rows:,}",
                "operation": op,
                "engine": name,
                "median": format_seconds(timing.median_s) if timing else "",
                "p10–p90": (
                    f"{format_seconds(timing.p10_s)}–{format_seconds(timing.p90_s)}"
                    if timing
                    else ""
                ),
                "runs": timing.repeats if timing else 0,
                "noise": timing.noise_note() if timing else "",
                "vs pandas": format_ratio(ratio) if ratio else "",
                "check": check_word(rec),
            }
            if with_copies:
                row["to host"] = format_seconds(rec.to_host.median_s) if rec.to_host else ""
            rows.append(row)
    return rows


def result_notes(runs: Sequence[SuiteResult]) -> list[str]:
    """Markdown lines for what the table's short columns leave out: skipped operations and
    device-to-host copies that were not timed (errors, mismatches and CPU fallbacks have their
    own callouts)."""
    lines: list[str] = []
    for run in runs:
        skipped: dict[str, str] = {}
        for name, op, rec in run.records():
            if rec.skipped:
                skipped.setdefault(op, rec.skipped)
            elif rec.to_host_note and not rec.to_host:
                lines.append(
                    f"- {run.dataset.rows:,} rows, **{name}** `{op}`: to host not timed, "
                    f"{rec.to_host_note}"
                )
        lines += [
            f"- {run.dataset.rows:,} rows `{op}`: skipped on every engine, {reason}"
            for op, reason in skipped.items()
        ]
    return lines


def check_verdict(runs: Sequence[SuiteResult]) -> tuple[str, str] | None:
    """(callout kind, text) for the equality checks of the shown results; None when nothing
    differs and nothing was checked. Never a success about zero results."""
    checked = sum(run.checked() for run in runs)
    mismatched = sum(len(run.mismatches()) for run in runs)
    if not runs:
        return None
    if mismatched:
        return "danger", f"{mismatched} of {checked} checked results differ from pandas."
    if checked == 0:
        return (
            "info",
            "No result was compared with pandas: no other engine produced one (only pandas ran, "
            "or the others failed), so there is nothing to check and no speedup to show.",
        )
    plural = "s" if checked != 1 else ""
    return "success", f"All {checked} checked result{plural} match pandas."


def cpu_only_note(runs: Sequence[SuiteResult]) -> str:
    """'' when a GPU engine ran; otherwise why no ratio here is a GPU speedup."""
    if not runs or any(run.gpu_ran() for run in runs):
        return ""
    return (
        "No GPU engine ran here, so every ratio compares a CPU engine with pandas on the same "
        "CPU: none of them is a GPU speedup."
    )


# One colour per engine in every chart (Vega's category10 order), whichever engines ran.
ENGINE_COLORS = {
    "pandas": "#4c78a8",
    "pandas-arrow": "#f58518",
    "polars": "#e45756",
    "cudf.pandas": "#54a24b",
    "polars-gpu": "#b279a2",
}
