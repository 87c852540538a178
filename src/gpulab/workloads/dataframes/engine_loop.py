"""The measuring loop: one engine, every operation, each timed, its host copy timed apart.

Warm-up calls come first (the GPU engines compile kernels and fill memory pools on first use),
then at least `repeats` timed calls until `min_time_s` was measured. A GPU engine's result is
synchronised before the clock stops, and its conversion back to host memory is timed on its own,
never inside the op.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .config import SuiteConfig
from .data import Dataset
from .measure import measure
from .records import OpRecord, describe_error
from .sessions import PandasSession, PolarsSession, Session, open_session
from .to_host import measure_to_host

ResultSink = Callable[[OpRecord, Any], None]
SessionFactory = Callable[[str, Dataset], Session]


def run_engine(
    engine: str,
    dataset: Dataset,
    config: SuiteConfig,
    on_result: ResultSink,
    session_factory: SessionFactory = open_session,
) -> dict[str, Any]:
    """Load the data, then measure every operation; each host result goes to `on_result`.

    One failing op (unsupported on this engine, out of memory) is recorded and the others still
    run. Returns setup facts (load time, versions).
    """
    started = time.perf_counter()
    session = session_factory(engine, dataset)
    setup_s = time.perf_counter() - started
    if isinstance(session, PolarsSession):
        session.measure_roundtrip(config)
    skipped = dataset.skipped(config.operations)
    for op in config.operations:
        record = OpRecord(
            engine,
            op,
            result_on_host=session.result_on_host,
            includes_transfer=session.includes_transfer,
        )
        if op in skipped:
            record.skipped = skipped[op]
            on_result(record, None)
            continue
        record.started = time.monotonic()
        result = None
        try:
            record.timing, result = measure(lambda op=op: session.run(op), config, session.sync)
            _measure_host_copy(record, result, session, config)
            if isinstance(session, PandasSession) and session.accelerated:
                record.cpu_fallbacks = session.profile_fallbacks(op)
        except Exception as err:  # unsupported op, GPU OOM, engine bug: record and go on
            record.error = describe_error(err)
        record.ended = time.monotonic()
        # The result as the engine holds it (a GPU engine's may still be on the device):
        # `on_result` saves or compares it through the engine's own API.
        on_result(record, result)
        del result
    info = session.info()
    info["setup_s"] = setup_s
    return info


def _measure_host_copy(
    record: OpRecord, result: Any, session: Session, config: SuiteConfig
) -> None:
    """Time the device → host copy of a result the engine keeps on the GPU; a failed copy leaves
    the op's own timing standing and says why the copy has none."""
    if session.result_on_host:
        return
    try:
        record.to_host, record.to_host_note = measure_to_host(result, session.to_host, config)
    except Exception as err:
        record.to_host_note = f"not timed: {describe_error(err)}"
