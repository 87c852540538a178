"""The suite: pandas (the reference) first, then every other chosen engine, each result checked.

CPU engines run in this process; the GPU engines in a worker process each (see `worker`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import REFERENCE, SuiteConfig
from .data import Dataset
from .engine_loop import SessionFactory, run_engine
from .engines import ENGINES, EngineStatus, engine_status
from .equality import EqualityReport, canonicalise, compare_tables, to_arrow
from .records import OpRecord, describe_error
from .results import EngineReport, SuiteResult
from .sessions import open_session
from .worker import run_engine_in_worker


def run_suite(
    dataset: Dataset,
    config: SuiteConfig | None = None,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    statuses: dict[str, EngineStatus] | None = None,
    session_factory: SessionFactory = open_session,
) -> SuiteResult:
    """Run pandas (the reference) and then every other chosen engine; check each result.

    `statuses` reuses availability checks made earlier; `session_factory` builds in-process
    engines (tests plant a wrong engine through it to prove the equality check catches it)."""
    config = config or SuiteConfig()
    engines = [REFERENCE, *[e for e in config.engines if e != REFERENCE]]
    workdir = Path(workdir or dataset.fact_path.parent)
    references: dict[str, Any] = {}  # op -> pandas' result in canonical form (Arrow, in memory)
    started = time.perf_counter()
    reports: dict[str, EngineReport] = {}
    for name in engines:
        status = (statuses or {}).get(name) or engine_status(name)
        report = EngineReport(name, status)
        reports[name] = report
        if not status.available:
            continue
        if progress:
            progress(name)

        def on_result(record: OpRecord, result: Any, report: EngineReport = report) -> None:
            _check(record, result, dataset, config, references)
            report.records[record.op] = record

        try:
            if ENGINES[name].isolated:
                report.info = run_engine_in_worker(name, dataset, config, on_result, workdir)
            else:
                report.info = run_engine(name, dataset, config, on_result, session_factory)
        except Exception as err:
            report.error = describe_error(err)
    return SuiteResult(dataset, config, reports, time.perf_counter() - started)


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
