"""The suite: pandas (the reference) first, then every other chosen engine, each result checked.

CPU engines run in this process; the GPU engines in a worker process each (see `worker`).
Progress is counted in rows x operations: every op on every engine that can run is one table's
rows of work, so a 10^7-row table weighs a thousand times a 10^4-row one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gpulab.progress import ProgressFn, no_progress

from .config import REFERENCE, SuiteConfig
from .data import Dataset
from .engine_loop import SessionFactory, run_engine
from .engines import ENGINES, EngineStatus, engine_status
from .equality import EqualityReport, canonicalise, compare_tables, to_arrow
from .records import OpRecord, describe_error
from .results import EngineReport, SuiteResult
from .sessions import open_session
from .worker import WorkerProgress, run_engine_in_worker


def engine_statuses(
    config: SuiteConfig, statuses: dict[str, EngineStatus] | None = None
) -> dict[str, EngineStatus]:
    """pandas (the reference) and every other chosen engine, in run order, with its status;
    `statuses` reuses availability checks made earlier."""
    names = [REFERENCE, *[e for e in config.engines if e != REFERENCE]]
    return {name: (statuses or {}).get(name) or engine_status(name) for name in names}


def suite_work(rows: int, config: SuiteConfig, statuses: dict[str, EngineStatus]) -> float:
    """The suite's work in rows x operations: every op of every engine that can run."""
    runnable = sum(1 for status in statuses.values() if status.available)
    return float(rows * len(config.operations) * runnable)


def run_suite(
    dataset: Dataset,
    config: SuiteConfig | None = None,
    workdir: Path | None = None,
    progress: ProgressFn = no_progress,
    statuses: dict[str, EngineStatus] | None = None,
    session_factory: SessionFactory = open_session,
) -> SuiteResult:
    """Run pandas (the reference) and then every other chosen engine; check each result.

    `progress(done, total, note)` hears of every finished op in rows x operations (see
    `suite_work`), and of each engine as it starts; `statuses` reuses availability checks made
    earlier; `session_factory` builds in-process engines (tests plant a wrong engine through it
    to prove the equality check catches it)."""
    config = config or SuiteConfig()
    workdir = Path(workdir or dataset.fact_path.parent)
    checked = engine_statuses(config, statuses)
    total = suite_work(dataset.rows, config, checked) or 1.0
    per_engine = float(dataset.rows * len(config.operations))
    references: dict[str, Any] = {}  # op -> pandas' result in canonical form (Arrow, in memory)
    started = time.perf_counter()
    reports: dict[str, EngineReport] = {}
    done = 0.0
    for name, status in checked.items():
        report = EngineReport(name, status)
        reports[name] = report
        if not status.available:
            continue
        tick = _engine_progress(progress, done, total, dataset.rows, ENGINES[name].label)
        tick(0, "loading the data")

        def on_result(
            record: OpRecord,
            result: Any,
            report: EngineReport = report,
            tick: WorkerProgress = tick,
        ) -> None:
            _check(record, result, dataset, config, references)
            report.records[record.op] = record
            tick(len(report.records), f"{record.op} done")

        try:
            if ENGINES[name].isolated:
                report.info = run_engine_in_worker(
                    name, dataset, config, on_result, workdir, on_progress=tick
                )
            else:
                report.info = run_engine(name, dataset, config, on_result, session_factory)
        except Exception as err:
            report.error = describe_error(err)
        done += per_engine
        progress(done, total, f"{ENGINES[name].label}: done")
    return SuiteResult(dataset, config, reports, time.perf_counter() - started)


def _engine_progress(
    progress: ProgressFn, before: float, total: float, rows: int, label: str
) -> WorkerProgress:
    """`tick(ops_done, note)` for one engine: its finished ops as rows x operations."""
    seen = [0]

    def tick(ops_done: int, note: str = "") -> None:
        seen[0] = max(seen[0], ops_done)
        progress(before + seen[0] * rows, total, f"{label}: {note}" if note else label)

    return tick


def _check(
    record: OpRecord, result: Any, dataset: Dataset, config: SuiteConfig, references: dict[str, Any]
) -> None:
    """Keep the reference's result, or compare another engine's result with it."""
    if record.skipped or record.error or result is None:
        return
    table = canonicalise(to_arrow(result), record.op, dataset.columns)
    record.result_rows = table.num_rows
    if record.engine == REFERENCE:
        references[record.op] = table
        return
    if record.op not in references:
        record.equality = EqualityReport(False, "pandas produced no result to compare with")
        return
    record.equality = compare_tables(table, references[record.op], config.rtol, config.atol)
