"""report.json merging and the markdown matrix: CPU CI and GPU runs side by side."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gpulab.errors import UsageError
from gpulab.qa.runner import report


def row(notebook: str, device: str, profile: str, status: str = "pass", **extra: Any) -> dict:
    base = {
        "notebook": notebook,
        "device": device,
        "profile": profile,
        "status": status,
        "seconds": 2.0,
        "peak_gpu_mib": None,
        "error": None,
        "reason": None,
        "ran_at": "2026-01-01T00:00:00+00:00",
    }
    return {**base, **extra}


def test_a_run_replaces_its_own_rows_and_keeps_other_devices(tmp_path: Path) -> None:
    report.write(tmp_path, [row("a.py", "cpu", "smoke", "fail"), row("b.py", "cpu", "smoke")])
    entries = report.write(
        tmp_path, [row("a.py", "cpu", "smoke"), row("a.py", "NVIDIA H100 80GB HBM3", "full")]
    )
    keys = {(e["notebook"], e["device"], e["profile"]): e["status"] for e in entries}
    assert keys == {
        ("a.py", "cpu", "smoke"): "pass",
        ("b.py", "cpu", "smoke"): "pass",
        ("a.py", "NVIDIA H100 80GB HBM3", "full"): "pass",
    }
    assert report.load(tmp_path) == entries


def test_markdown_has_one_row_per_notebook_and_one_column_per_device_and_profile() -> None:
    entries = [
        row("a.py", "cpu", "smoke"),
        row("a.py", "NVIDIA H100 80GB HBM3", "full", peak_gpu_mib=20480.4),
        row(
            "b.py",
            "cpu",
            "smoke",
            "fail",
            error={"cell": "cell 2", "type": "KeyError", "message": "'x'", "code": "y = d['x']"},
        ),
    ]
    lines = report.render_markdown(entries).splitlines()
    header = next(line for line in lines if line.startswith("| notebook |"))
    assert header == "| notebook | cpu · smoke | NVIDIA H100 80GB HBM3 · full |"
    table = [line for line in lines if line.startswith("| `")]
    assert table[0] == "| `a.py` | pass (2.0 s) | pass (2.0 s, 20480 MiB) |"
    assert table[1] == "| `b.py` | **fail**: KeyError in cell 2 (2.0 s) | – |"
    assert "- `b.py` on cpu · smoke: cell 2 (`y = d['x']`) raised KeyError: 'x'" in lines


def test_a_pipe_in_a_reason_does_not_break_the_table() -> None:
    entries = [row("a.py", "cpu", "smoke", "skipped", reason="needs a GPU | or two")]
    table = [line for line in report.render_markdown(entries).splitlines() if "`a.py`" in line]
    cells = re.split(r"(?<!\\)\|", table[0])
    assert len(cells) == 4, cells  # '', notebook, one device column, ''
    assert "needs a GPU \\| or two" in cells[2]


def test_a_report_json_of_another_shape_is_refused(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text('[{"name": "x"}]')
    with pytest.raises(UsageError, match="not a gpulab test report"):
        report.load(tmp_path)


def test_a_budget_run_shows_its_peak_against_the_budget_and_flags_going_over() -> None:
    column = "H200 as 24 GiB (budget 22.0 GiB)"
    within = row("a.py", column, "full", peak_gpu_mib=20000.0, memory_budget_mib=22528.0)
    over = row("b.py", column, "full", peak_gpu_mib=23000.0, memory_budget_mib=22528.0)
    text = report.render_markdown([within, over])
    assert "20000 of 22528 MiB)" in text
    assert "23000 of 22528 MiB **over budget**" in text


def test_a_budget_column_sits_right_after_its_gpu_full_column() -> None:
    rows = [
        row("a.py", "NVIDIA H200 as 24 GiB (budget 22.0 GiB)", "full"),
        row("a.py", "NVIDIA H200", "full"),
        row("a.py", "NVIDIA H100 80GB HBM3", "full"),
        row("a.py", "cpu", "smoke"),
    ]
    header = report.render_markdown(rows).splitlines()[4]
    assert header.index("cpu · smoke") < header.index("H100 80GB HBM3 · full")
    assert header.index("NVIDIA H200 · full") < header.index("NVIDIA H200 as 24 GiB")
