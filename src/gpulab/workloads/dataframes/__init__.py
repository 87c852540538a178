"""GPU dataframes: the same queries on pandas, polars, cudf.pandas and the polars GPU engine.

One table (synthetic, or the user's parquet/CSV file) is written to parquet once; every engine loads
it, runs the same nine operations, and is timed the same way: warm-up calls first (the GPU engines
compile kernels and fill memory pools on first use), then at least `repeats` timed calls until
`min_time_s` was measured, median and spread reported. A GPU engine's result is synchronised before
the clock stops, and its conversion back to host memory is timed on its own, never inside the op.
Every result is compared with pandas (floats within tolerance) before any speedup is believed.

cudf.pandas must be installed before pandas is first imported, so GPU engines run in a worker
process (`python -m gpulab.workloads.dataframes --worker request.json`) that installs the
accelerator first and then runs exactly the pandas functions in `pandas_ops`; results travel back
as parquet files, timings as JSON. The CPU engines run in-process.

Read in this order: `config` (what is measured), `columns`, `data` and `user_file` (the input),
`sizing` (how large a table fits), `engines` (what can run here), `pandas_ops` and `polars_ops`
(the operations), `sessions` (an engine with the data loaded), `measure` and `to_host` (timing),
`engine_loop` (one engine, every op), `worker` (the GPU engines' process), `equality`, `suite`,
`tables` (a run over several tables, with progress), `results`, `report`, `op_telemetry`, and
for the notebook `choices` (what its controls chose) and `display` (what its tables show).
Importing the package imports no pandas, polars or pyarrow: each function imports the library it
needs.
"""

from __future__ import annotations

from .choices import chosen_config, chosen_file, selection_problems
from .columns import NEEDS, Columns, Inputs
from .config import (
    OPERATIONS,
    REFERENCE,
    RESAMPLE_EVERY,
    ROLLING_WINDOW,
    SIZES,
    STRING_NEEDLE,
    SuiteConfig,
)
from .data import (
    CATEGORIES,
    Dataset,
    dimension_table,
    generate_table,
    prepare_synthetic,
    synthetic_key_count,
)
from .display import (
    ENGINE_COLORS,
    check_verdict,
    check_word,
    cpu_only_note,
    result_notes,
    result_table,
)
from .engine_loop import ResultSink, run_engine
from .engines import ENGINES, Engine, EngineStatus, cuda_major, engine_status, install_hint
from .equality import EqualityReport, canonical_order, canonicalise, compare_tables, to_arrow
from .measure import format_seconds, measure
from .op_telemetry import op_windows, telemetry_by_op, telemetry_summary_by_op
from .pandas_ops import (
    PANDAS_OPS,
    pandas_filter,
    pandas_groupby,
    pandas_join,
    pandas_read_parquet,
    pandas_resample,
    pandas_rolling,
    pandas_sort,
    pandas_strings,
    pandas_write_parquet,
)
from .polars_ops import polars_query, run_polars_op
from .records import OpRecord
from .report import describe, figures, geomean_times
from .results import EngineReport, SuiteResult, fallback_note, format_ratio
from .sessions import PandasSession, PolarsSession, Session, open_session
from .sizing import GPU_WORKING_SET, HOST_WORKING_SET, SizeCap, estimate_bytes_per_row, size_cap
from .suite import engine_statuses, run_suite, suite_work
from .tables import (
    PREPARE_OPS,
    Table,
    TablesRun,
    file_table,
    planned_work,
    run_tables,
    synthetic_tables,
)
from .to_host import measure_to_host, proxy_to_host
from .user_file import detect_roles, prepare_file, read_user_table
from .worker import WorkerError, run_engine_in_worker, save_result, worker_main

__all__ = [
    "CATEGORIES",
    "ENGINES",
    "ENGINE_COLORS",
    "GPU_WORKING_SET",
    "HOST_WORKING_SET",
    "NEEDS",
    "OPERATIONS",
    "PANDAS_OPS",
    "PREPARE_OPS",
    "REFERENCE",
    "RESAMPLE_EVERY",
    "ROLLING_WINDOW",
    "SIZES",
    "STRING_NEEDLE",
    "Columns",
    "Dataset",
    "Engine",
    "EngineReport",
    "EngineStatus",
    "EqualityReport",
    "Inputs",
    "OpRecord",
    "PandasSession",
    "PolarsSession",
    "ResultSink",
    "Session",
    "SizeCap",
    "SuiteConfig",
    "SuiteResult",
    "Table",
    "TablesRun",
    "WorkerError",
    "canonical_order",
    "canonicalise",
    "check_verdict",
    "check_word",
    "chosen_config",
    "chosen_file",
    "compare_tables",
    "cpu_only_note",
    "cuda_major",
    "describe",
    "detect_roles",
    "dimension_table",
    "engine_status",
    "engine_statuses",
    "estimate_bytes_per_row",
    "fallback_note",
    "figures",
    "file_table",
    "format_ratio",
    "format_seconds",
    "generate_table",
    "geomean_times",
    "install_hint",
    "measure",
    "measure_to_host",
    "op_windows",
    "open_session",
    "pandas_filter",
    "pandas_groupby",
    "pandas_join",
    "pandas_read_parquet",
    "pandas_resample",
    "pandas_rolling",
    "pandas_sort",
    "pandas_strings",
    "pandas_write_parquet",
    "planned_work",
    "polars_query",
    "prepare_file",
    "prepare_synthetic",
    "proxy_to_host",
    "read_user_table",
    "result_notes",
    "result_table",
    "run_engine",
    "run_engine_in_worker",
    "run_polars_op",
    "run_suite",
    "run_tables",
    "save_result",
    "selection_problems",
    "size_cap",
    "suite_work",
    "synthetic_key_count",
    "synthetic_tables",
    "telemetry_by_op",
    "telemetry_summary_by_op",
    "to_arrow",
    "worker_main",
]
