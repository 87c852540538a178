"""One run over several tables (the chosen synthetic sizes, or the user's file): each table
prepared, then the suite on it, with progress over the whole run and a failure that keeps the
tables that finished before it.

Work is counted in rows x operations (see `suite.suite_work`), and preparing a table counts as
one more operation on it, so the ETA is the rate measured on real work, whatever the sizes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gpulab.errors import UsageError
from gpulab.progress import ProgressFn, no_progress

from .config import SuiteConfig
from .data import Dataset, prepare_synthetic
from .engines import EngineStatus
from .results import SuiteResult
from .suite import engine_statuses, run_suite, suite_work
from .user_file import prepare_file

PREPARE_OPS = 1  # preparing a table (generate or read, write parquet) weighs about one op on it


@dataclass
class Table:
    """One table of a run: what it is called, its rows (an estimate for a file) and how to
    prepare it under a folder."""

    label: str
    rows: int
    prepare: Callable[[Path], Dataset]


@dataclass
class TablesRun:
    """What a run produced: a suite per table that finished, and the failure that stopped it."""

    runs: list[SuiteResult] = field(default_factory=list)
    origin: float = 0.0  # time.monotonic() when the run began (t = 0 of the telemetry chart)
    seconds: float = 0.0
    failed: str = ""  # the table that failed ("10,000,000 rows", "your file data.csv")
    error: Exception | None = None

    def summary(self) -> str:
        """`Ran 2 table sizes in 4.1 s: synthetic (10,000 rows); synthetic (100,000 rows)`."""
        count = len(self.runs)
        tables = f"{count} table size{'s' if count != 1 else ''}"
        sources = "; ".join(run.dataset.source for run in self.runs)
        return f"Ran {tables} in {self.seconds:.1f} s: {sources}"

    def kept_note(self) -> str:
        """After a failure: which results below are the ones that finished before it."""
        if not self.runs:
            return (
                "Nothing finished in this run: the results below are still those of the last run."
            )
        sizes = ", ".join(f"{run.dataset.rows:,}" for run in self.runs)
        plural = "s" if len(self.runs) != 1 else ""
        return (
            f"The results below are this run's {len(self.runs)} table size{plural} that finished "
            f"before it ({sizes} rows)."
        )


def synthetic_tables(sizes: Sequence[int]) -> list[Table]:
    """The chosen synthetic sizes, smallest first."""
    return [
        Table(f"{rows:,} rows", rows, lambda folder, rows=rows: prepare_synthetic(rows, folder))
        for rows in sorted(sizes)
    ]


def file_table(path: Path, max_rows: int | None = None) -> Table:
    """The user's parquet or CSV file (its row count from the parquet footer when it has one)."""
    rows = _file_rows(path) or 1
    if max_rows is not None:
        rows = min(rows, max_rows)
    return Table(
        f"your file {path.name}", rows, lambda folder: prepare_file(path, folder, max_rows)
    )


def planned_work(
    tables: Sequence[Table], config: SuiteConfig, statuses: dict[str, EngineStatus] | None = None
) -> float:
    """The run's work in rows x operations: each table prepared, then every op on every engine."""
    checked = engine_statuses(config, statuses)
    return sum(_table_work(t.rows, config, checked) for t in tables)


def run_tables(
    tables: Sequence[Table],
    config: SuiteConfig,
    workdir: Path,
    statuses: dict[str, EngineStatus] | None = None,
    progress: ProgressFn = no_progress,
) -> TablesRun:
    """Prepare each table and run the suite on it; `progress(done, total, note)` in rows x
    operations. A table that fails (a bad file, out of host memory) stops the run; the tables
    that finished before it stay in the result, with the error and the table it hit."""
    if not tables:
        raise UsageError("choose at least one table size")
    checked = engine_statuses(config, statuses)
    run = TablesRun(origin=time.monotonic())
    total = planned_work(tables, config, checked)
    done = 0.0
    for index, table in enumerate(tables):
        work = _table_work(table.rows, config, checked)
        progress(done, total, f"{table.label}: preparing")
        try:
            dataset = table.prepare(Path(workdir) / f"table-{index}")
            if dataset.rows != table.rows:  # a file's rows are known once it is read
                total += _table_work(dataset.rows, config, checked) - work
                work = _table_work(dataset.rows, config, checked)
            prepared = done + dataset.rows * PREPARE_OPS
            progress(prepared, total, f"{table.label}: prepared")
            suite = run_suite(
                dataset, config, workdir, _offset(progress, prepared, total, table.label), checked
            )
        except Exception as err:  # a bad file, MemoryError: keep what finished
            run.failed, run.error = table.label, _with_advice(err, table.label)
            break
        run.runs.append(suite)
        done += work
        progress(done, total, f"{table.label}: done")
    run.seconds = time.monotonic() - run.origin
    return run


def _table_work(rows: int, config: SuiteConfig, statuses: dict[str, EngineStatus]) -> float:
    return rows * PREPARE_OPS + suite_work(rows, config, statuses)


def _offset(progress: ProgressFn, before: float, total: float, label: str) -> ProgressFn:
    """The suite's own progress as part of the whole run's."""

    def report(done: float, _suite_total: float, note: str = "") -> None:
        progress(before + done, total, f"{label} · {note}" if note else label)

    return report


def _with_advice(err: Exception, label: str) -> Exception:
    """A host MemoryError names the table and says what to do; other errors pass unchanged."""
    if isinstance(err, MemoryError):
        detail = f" ({err})" if str(err) else ""
        advice = MemoryError(f"out of host memory on {label}: choose fewer rows{detail}")
        advice.__cause__ = err
        return advice
    return err


def _file_rows(path: Path) -> int | None:
    """A parquet file's row count from its footer; None for CSV or an unreadable file."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        return None
    try:
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    except Exception:
        return None
