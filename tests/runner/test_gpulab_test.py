"""`gpulab test` on third-party-style notebooks: statuses, root causes, report, exit status."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import pytest

if TYPE_CHECKING:
    from .conftest import GpulabTest, Run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runner"

REQUIRED_FIELDS = {"notebook", "status", "seconds", "peak_gpu_mib", "device", "error", "reason"}


def test_failing_cell_is_the_root_cause_not_the_ancestor_echoes(smoke_run: Run) -> None:
    row = smoke_run.rows["error_then_independent.py"]
    assert row["status"] == "fail"
    assert row["error"]["cell"] == "cell 3"
    assert row["error"]["type"] == "KeyError"
    assert row["error"]["message"] == "'batch_size'"
    assert row["error"]["code"] == 'config = {"learning_rate": 0.1}'
    assert "KeyError" in row["error"]["traceback"]


def test_independent_cell_after_a_failing_cell_still_runs_and_is_reported(smoke_run: Run) -> None:
    cells = {
        cell["cell"]: cell["status"]
        for cell in smoke_run.rows["error_then_independent.py"]["cells"]
    }
    assert cells == {
        "cell 1": "ok",
        "cell 2": "not-run",
        "cell 3": "error",
        "cell 4": "not-run",
        "cell 5": "ok",
    }


def test_deliberate_mo_stop_is_skipped_with_its_message_as_reason(smoke_run: Run) -> None:
    row = smoke_run.rows["gpu_gate.py"]
    assert row["status"] == "skipped"
    assert row["reason"] == "Needs a GPU: no CUDA device found, training skipped."
    assert row["error"] is None
    statuses = [cell["status"] for cell in row["cells"]]
    assert statuses == ["ok", "stopped", "not-run"]


def test_an_error_callout_fails_the_run_and_a_warning_does_not(smoke_run: Run) -> None:
    row = smoke_run.rows["caught_failure.py"]
    assert row["status"] == "fail"
    assert row["error"]["cell"] == "cell 3" and row["error"]["type"] == "ErrorCallout"
    assert row["error"]["message"] == ("Serving failed: the server exited before it was ready")
    assert [cell["status"] for cell in row["cells"]] == ["ok", "ok", "ok"]


def test_clean_notebook_passes(smoke_run: Run) -> None:
    row = smoke_run.rows["clean.py"]
    assert row["status"] == "pass"
    assert row["error"] is None and row["reason"] is None
    assert all(cell["status"] == "ok" for cell in row["cells"])


def test_smoke_profile_opens_run_button_gates(smoke_run: Run) -> None:
    row = smoke_run.rows["run_button_chart.py"]
    assert row["status"] == "pass"
    assert [cell["status"] for cell in row["cells"]] == ["ok"] * 4


def test_report_rows_carry_the_promised_fields(smoke_run: Run) -> None:
    for name, row in smoke_run.rows.items():
        assert row.keys() >= REQUIRED_FIELDS, name
        assert row["profile"] == "smoke"
        assert 0 < row["seconds"] < 120
        assert row["device"]
    report_md = (smoke_run.report_dir / "report.md").read_text(encoding="utf-8")
    assert "| notebook |" in report_md
    assert "KeyError in cell 3" in report_md


def test_closing_line_counts_each_status_and_a_failure_exits_1(smoke_run: Run) -> None:
    assert smoke_run.returncode == 1, smoke_run.stderr
    last = smoke_run.stdout.strip().splitlines()[-1]
    assert last.startswith("2 passed, 2 failed, 1 skipped, 0 timeout in ")


def test_runs_leave_no_session_files_next_to_the_notebooks(smoke_run: Run) -> None:
    assert not (FIXTURES / "__marimo__").exists()


def test_closed_run_gate_in_full_profile_is_skipped_not_passed(full_run: Run) -> None:
    # This notebook opens its gate only for "smoke"; under full nothing ran, so it is no pass.
    row = full_run.rows["run_button_chart.py"]
    assert row["status"] == "skipped"
    assert row["reason"] == "Press Run benchmark to start."


def test_passes_and_skips_alone_exit_0(full_run: Run) -> None:
    assert full_run.returncode == 0, full_run.stdout + full_run.stderr
    last = full_run.stdout.strip().splitlines()[-1]
    assert last.startswith("1 passed, 0 failed, 1 skipped, 0 timeout in ")


def test_a_second_run_merges_into_the_report(full_run: Run) -> None:
    rows = json.loads((full_run.report_dir / "report.json").read_text(encoding="utf-8"))
    clean = sorted(row["profile"] for row in rows if row["notebook"].endswith("/clean.py"))
    assert clean == ["full", "smoke"]
    report_md = (full_run.report_dir / "report.md").read_text(encoding="utf-8")
    assert "| notebook | cpu · full | cpu · smoke |" in report_md


def _dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_timeout_kills_the_whole_process_group_and_escaped_helpers(
    gpulab_test: GpulabTest, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pids"
    env = {**os.environ, "FIXTURE_PIDFILE": str(pidfile)}
    started = time.monotonic()
    run = gpulab_test(str(FIXTURES / "sleeps.py"), "--timeout", "6", report_dir=tmp_path, env=env)
    assert time.monotonic() - started < 60
    row = run.rows["sleeps.py"]
    assert row["status"] == "timeout"
    assert 6 <= row["seconds"] < 10
    assert run.returncode == 1
    assert (
        run.stdout.strip().splitlines()[-1].startswith("0 passed, 0 failed, 0 skipped, 1 timeout")
    )
    kernel_pid, helper_pid = (int(pid) for pid in pidfile.read_text().split())
    deadline = time.monotonic() + 5
    while not (_dead(kernel_pid) and _dead(helper_pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _dead(kernel_pid), "the notebook's kernel survived the timeout"
    assert _dead(helper_pid), "a helper that left the process group survived the timeout"


def test_a_kernel_that_dies_is_a_failure_not_a_hang(
    gpulab_test: GpulabTest, tmp_path: Path
) -> None:
    run = gpulab_test(str(FIXTURES / "kernel_dies.py"), "--timeout", "60", report_dir=tmp_path)
    row = run.rows["kernel_dies.py"]
    assert row["status"] == "fail"
    assert row["error"]["type"] == "KernelDied"
    assert "status 3" in row["error"]["message"]
    assert row["seconds"] < 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/notebook.py"], "no/such/notebook.py: no such file or directory"),
        (["--profile", "huge", str(FIXTURES / "clean.py")], "invalid choice: 'huge'"),
        (["--timeout", "0", str(FIXTURES / "clean.py")], "must be positive"),
        (["--arg", "novalue", str(FIXTURES / "clean.py")], "expected KEY=VALUE"),
        (["--arg", "profile=full", str(FIXTURES / "clean.py")], "other than profile/smoke"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    gpulab_test: GpulabTest, args: list[str], message: str, tmp_path: Path
) -> None:
    run = gpulab_test(*args, report_dir=tmp_path)
    assert run.returncode == 2
    assert message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("helper.py", "def add(a, b):\n    return a + b\n"),
        ("notes.txt", "import marimo\napp = marimo.App()\n"),
    ],
)
def test_a_file_that_is_not_a_notebook_is_refused(
    gpulab_test: GpulabTest, name: str, text: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_text(text)
    run = gpulab_test(str(path), report_dir=tmp_path / "report")
    assert run.returncode == 2
    assert f"{path}: not a marimo notebook" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_a_foreign_report_json_is_not_overwritten(gpulab_test: GpulabTest, tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text('{"mine": true}')
    run = gpulab_test(str(FIXTURES / "clean.py"), report_dir=tmp_path)
    assert run.returncode == 2
    assert "is not a gpulab test report" in run.stderr
    assert (tmp_path / "report.json").read_text() == '{"mine": true}'


ARG_NOTEBOOK = """import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    model = mo.cli_args().get("model")
    assert model == "random:tiny", f"model argument was {model!r}"
    return


if __name__ == "__main__":
    app.run()
"""


@pytest.mark.parametrize(
    ("extra", "status"), [(["--arg", "model=random:tiny"], "pass"), ([], "fail")]
)
def test_extra_arguments_reach_the_notebook(
    gpulab_test: GpulabTest, tmp_path: Path, extra: list[str], status: str
) -> None:
    notebook = tmp_path / "needs_model.py"
    notebook.write_text(ARG_NOTEBOOK)
    run = gpulab_test(*extra, str(notebook), report_dir=tmp_path / "report")
    assert run.rows["needs_model.py"]["status"] == status


BUDGET_NOTEBOOK = """import marimo

app = marimo.App()


@app.cell
def _():
    import os

    from gpulab.memory_budget import ENV_VAR, parse_size

    seen = parse_size(os.environ[ENV_VAR])
    assert seen == 22 * 2**30, f"the budget the notebook saw was {seen}"
    return


if __name__ == "__main__":
    app.run()
"""


def test_a_memory_budget_reaches_the_notebook_and_names_its_column(
    gpulab_test: GpulabTest, tmp_path: Path
) -> None:
    notebook = tmp_path / "budget.py"
    notebook.write_text(BUDGET_NOTEBOOK)
    run = gpulab_test("--memory-budget", "22GiB", str(notebook), report_dir=tmp_path / "report")
    row = run.rows["budget.py"]
    assert row["status"] == "pass", run.stdout
    assert row["memory_budget_mib"] == 22 * 1024
    assert row["device"].endswith(" as 24 GiB (budget 22.0 GiB)")
    assert "as 24 GiB (budget 22.0 GiB) · smoke" in (tmp_path / "report" / "report.md").read_text()


def test_a_malformed_memory_budget_is_refused_before_anything_runs(
    gpulab_test: GpulabTest, tmp_path: Path
) -> None:
    notebook = tmp_path / "budget.py"
    notebook.write_text(BUDGET_NOTEBOOK)
    run = gpulab_test("--memory-budget", "lots", str(notebook), report_dir=tmp_path / "report")
    assert run.returncode == 2
    assert "not a size" in run.stderr
    assert not (tmp_path / "report" / "report.json").exists()


def test_a_budget_larger_than_the_gpu_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpulab.errors import UsageError
    from gpulab.qa.runner import cli

    monkeypatch.setattr(cli, "_gpu_total_bytes", lambda: 80 * 2**30)  # an 80 GiB card's NVML read
    assert cli.budget_for_run(22 * 2**30)[0] == 22 * 2**30
    with pytest.raises(UsageError, match=r"larger than this GPU \(80.0 GiB\)"):
        cli.budget_for_run(141 * 2**30)
