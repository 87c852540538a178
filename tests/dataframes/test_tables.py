"""A run over several tables: progress in rows x operations (an ETA from measured work, not from
a count of uneven steps), and a failure that keeps the tables that finished before it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.dataframes import (
    PREPARE_OPS,
    Dataset,
    EngineStatus,
    file_table,
    planned_work,
    run_suite,
    run_tables,
    suite_work,
    synthetic_tables,
)
from gpulab.workloads.dataframes.records import describe_error
from gpulab.workloads.dataframes.worker import _wait

from .conftest import FAST

TWO_OPS = replace(FAST, engines=("pandas", "polars"), operations=("filter", "groupby"))


class Recorder:
    """A `ProgressFn` that keeps every report."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, float, str]] = []

    def __call__(self, done: float, total: float, note: str = "") -> None:
        self.reports.append((done, total, note))

    @property
    def done(self) -> list[float]:
        return [done for done, _, _ in self.reports]


def test_work_is_counted_in_rows_times_operations_per_engine() -> None:
    statuses = {
        "pandas": EngineStatus("pandas", True),
        "polars": EngineStatus("polars", True),
        "cudf.pandas": EngineStatus("cudf.pandas", False, "cuDF is not installed"),
    }
    config = replace(TWO_OPS, engines=("pandas", "polars", "cudf.pandas"))
    # an engine that cannot run adds no work; a 10x larger table is 10x the work
    assert suite_work(1_000, config, statuses) == 1_000 * 2 * 2
    small, large = synthetic_tables([10_000, 1_000])  # smallest first
    assert (small.rows, large.rows) == (1_000, 10_000)
    assert planned_work([large], config, statuses) == 10 * planned_work([small], config, statuses)
    assert planned_work([small], config, statuses) == 1_000 * (PREPARE_OPS + 2 * 2)


def test_the_suite_reports_every_finished_op_as_its_share_of_the_work(
    small_dataset: Dataset, workdir: Path
) -> None:
    progress = Recorder()
    run_suite(small_dataset, TWO_OPS, workdir, progress)
    rows = small_dataset.rows
    total = rows * 2 * 2
    assert {t for _, t, _ in progress.reports} == {total}
    assert progress.done == sorted(progress.done)  # never goes back
    assert progress.done[-1] == total
    # after each op: one table's rows more (pandas filter, pandas groupby, polars filter, ...)
    finished = sorted({d for d, _, note in progress.reports if note.endswith(" done")})
    assert finished == [rows * k for k in range(1, 5)]
    assert any(note.startswith("polars (CPU): groupby") for _, _, note in progress.reports)


def test_a_run_over_sizes_reports_work_from_the_first_prepared_table_to_the_total(
    workdir: Path,
) -> None:
    progress = Recorder()
    tables = synthetic_tables([2_000, 500])
    planned = planned_work(tables, TWO_OPS)
    run = run_tables(tables, TWO_OPS, workdir, progress=progress)
    assert [r.dataset.rows for r in run.runs] == [500, 2_000] and run.error is None
    assert {t for _, t, _ in progress.reports} == {planned}
    assert progress.done == sorted(progress.done) and progress.done[-1] == planned
    # the first real work reported is the first table's preparation, not a whole step
    first = next(d for d in progress.done if d > 0)
    assert first == 500 * PREPARE_OPS
    assert "Ran 2 table sizes" in run.summary() and "500 rows" in run.summary()


def test_a_failure_preparing_a_size_keeps_the_sizes_that_finished_before_it(
    workdir: Path,
) -> None:
    tables = synthetic_tables([500, 1_000, 2_000])

    def out_of_memory(folder: Path) -> Dataset:
        raise MemoryError()

    tables[1].prepare = out_of_memory
    run = run_tables(tables, TWO_OPS, workdir)
    assert [r.dataset.rows for r in run.runs] == [500]  # kept, and nothing after the failure
    assert run.failed == "1,000 rows"
    assert isinstance(run.error, MemoryError)
    assert "out of host memory on 1,000 rows: choose fewer rows" in str(run.error)
    assert "1 table size that finished before it (500 rows)" in run.kept_note()


def test_a_bad_user_file_is_a_clear_error_and_finishes_nothing(workdir: Path) -> None:
    missing = file_table(workdir / "missing.parquet")
    assert missing.rows == 1  # unknown until it is read: the total is corrected then
    run = run_tables([missing], TWO_OPS, workdir)
    assert run.runs == [] and isinstance(run.error, UsageError)
    assert "no such file" in str(run.error) and run.failed == "your file missing.parquet"
    assert "still those of the last run" in run.kept_note()
    other = workdir / "data.json"
    other.write_text("{}")
    run = run_tables([file_table(other)], TWO_OPS, workdir)
    assert "expected a .parquet or .csv file" in str(run.error)
    with pytest.raises(UsageError, match="at least one table size"):
        run_tables([], TWO_OPS, workdir)


def test_a_file_run_corrects_its_total_once_the_rows_are_known(
    small_dataset: Dataset, workdir: Path
) -> None:
    import pyarrow.csv as pv
    import pyarrow.parquet as pq

    csv = workdir / "mine.csv"
    pv.write_csv(pq.read_table(small_dataset.fact_path), csv)
    progress = Recorder()
    run = run_tables([file_table(csv)], TWO_OPS, workdir, progress=progress)
    assert run.error is None and run.runs[0].dataset.rows == small_dataset.rows
    final_total = small_dataset.rows * (PREPARE_OPS + 2 * 2)
    assert progress.reports[-1][:2] == (final_total, final_total)


def test_a_host_memory_error_in_an_op_says_to_choose_fewer_rows() -> None:
    assert describe_error(MemoryError()).startswith("Out of host memory — choose fewer rows.")
    assert describe_error(RuntimeError("CUDA out of memory")).startswith("GPU out of memory")


def test_a_running_worker_reports_each_op_it_finished(tmp_path: Path) -> None:
    response = tmp_path / "response.json"
    script = (
        "import json, pathlib, time\n"
        f"p = pathlib.Path({str(response)!r})\n"
        "p.write_text(json.dumps({'records': [{'op': 'filter'}, {'op': 'groupby'}]}))\n"
        "time.sleep(1.5)\n"
    )
    seen: list[tuple[int, str]] = []
    process = subprocess.Popen([sys.executable, "-c", script])
    code = _wait(process, 30.0, response, lambda n, note: seen.append((n, note)))
    assert code == 0
    assert seen and seen[-1] == (2, "groupby done")


def test_a_worker_past_its_timeout_is_killed(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert _wait(process, 0.2, tmp_path / "response.json", None) is None
    assert process.returncode is not None


def test_the_notebooks_progress_bar_follows_a_run_to_its_end(workdir: Path) -> None:
    # The notebook hands `gpulab.ui.progress.work_progress` to the run (outside a marimo kernel
    # the bar draws nothing, but its estimator and its exit are the real ones).
    from gpulab.ui.progress import work_progress

    tables = synthetic_tables([500])
    planned = planned_work(tables, TWO_OPS)
    with work_progress("Running the benchmark", planned) as bar:
        run = run_tables(tables, TWO_OPS, workdir, progress=bar)
    assert run.error is None
    assert bar.estimator.total == planned and bar.estimator.done == planned
    assert bar.estimator.describe().endswith("done")
