"""The GPU worker: a fresh process, so cudf.pandas can be installed before pandas is imported.

`python -m gpulab.workloads.dataframes --worker request.json` installs the accelerator first (for
cudf.pandas) and then runs exactly the in-process loop (`run_engine`); results travel back as
parquet files, timings as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .config import SuiteConfig
from .data import Dataset
from .engine_loop import ResultSink, run_engine
from .records import OpRecord

SRC = Path(__file__).resolve().parents[3]  # the folder that holds the gpulab package
POLL_S = 0.5  # how often a running worker's progress is read
WorkerProgress = Callable[[int, str], None]  # (ops finished, a note naming the last one)


class WorkerError(RuntimeError):
    """A worker process failed; `log` holds the end of its output."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(message + (f"\n{log}" if log else ""))
        self.log = log


def run_engine_in_worker(
    engine: str,
    dataset: Dataset,
    config: SuiteConfig,
    on_result: ResultSink,
    workdir: Path,
    on_progress: WorkerProgress | None = None,
) -> dict[str, Any]:
    """Run `run_engine` in a worker process; results come back as parquet, timings as JSON.

    `on_progress(ops_done, note)` hears of each op the worker finished while it still runs
    (read from the response it rewrites after every op)."""
    out = Path(tempfile.mkdtemp(prefix=f"{engine.replace('.', '_')}-", dir=workdir))
    request = {
        "engine": engine,
        "dataset": dataset.to_dict(),
        "config": asdict(config),
        "out": str(out),
    }
    (out / "request.json").write_text(json.dumps(request))
    log_path = out / "worker.log"
    command = [
        sys.executable,
        "-m",
        "gpulab.workloads.dataframes",
        "--worker",
        str(out / "request.json"),
    ]
    response_path = out / "response.json"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=_worker_env())
        code = _wait(process, config.worker_timeout_s, response_path, on_progress)
    response = _read_response(response_path)
    for data in response.get("records", []):
        record = OpRecord.from_dict(data)
        result_path = out / f"{record.op}.parquet"
        on_result(record, result_path if result_path.exists() else None)
    if code != 0 or "info" not in response:
        tail = log_path.read_text()[-3000:] if log_path.exists() else ""
        reason = "timed out" if code is None else f"exited with status {code}"
        raise WorkerError(f"the {engine} worker {reason}", tail)
    return response["info"]


def _wait(
    process: subprocess.Popen[bytes],
    timeout_s: float,
    response_path: Path,
    on_progress: WorkerProgress | None,
) -> int | None:
    """The worker's exit status (None: killed after `timeout_s`), reporting its finished ops.

    An interrupt (the notebook's stop button) kills the worker before it passes on."""
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                return process.wait(timeout=POLL_S)
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    return None
            if on_progress is not None:
                records = _read_response(response_path).get("records", [])
                if records:
                    on_progress(len(records), f"{records[-1].get('op', '')} done")
    except BaseException:
        process.kill()
        process.wait()
        raise


def _read_response(path: Path) -> dict[str, Any]:
    """The worker's response so far ({} before its first op; it is replaced atomically)."""
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    # cudf.pandas: a plain cudaMalloc pool rather than its managed-memory default (oversubscribed
    # managed memory can hang a shared GPU); keep a user's explicit choice.
    env.setdefault("CUDF_PANDAS_RMM_MODE", "pool")
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def worker_main(request_path: str) -> int:
    """Entry point of the worker process (see `run_engine_in_worker`)."""
    request = json.loads(Path(request_path).read_text())
    engine, out = request["engine"], Path(request["out"])
    if engine == "cudf.pandas":
        if "pandas" in sys.modules:
            raise RuntimeError("pandas was imported before cudf.pandas.install()")
        import cudf.pandas

        cudf.pandas.install()  # from here on, `import pandas` is the accelerated module
    dataset = Dataset.from_dict(request["dataset"])
    config = SuiteConfig.from_dict(request["config"])
    records: list[dict[str, Any]] = []

    def save(record: OpRecord, result: Any) -> None:
        if result is not None and not record.error:
            record.result_rows = save_result(result, out / f"{record.op}.parquet")
        records.append(record.to_dict())
        _write_response(out, records, None)

    info = run_engine(engine, dataset, config, save)
    _write_response(out, records, info)
    return 0


def save_result(result: Any, path: Path) -> int:
    """Write a result as parquet through its own engine's API (a cudf.pandas result is written
    by cuDF from the GPU); returns its row count."""
    import shutil

    import pyarrow.parquet as pq

    if isinstance(result, (str, Path)):  # write_parquet: the file it wrote is the result
        shutil.copyfile(result, path)
    elif hasattr(result, "write_parquet"):  # polars
        result.write_parquet(path)
    else:  # pandas, or a cudf.pandas proxy: the same pandas calls
        frame = result.to_frame() if not hasattr(result, "columns") else result
        named_index = any(name is not None for name in frame.index.names)
        frame.reset_index(drop=not named_index).to_parquet(path, index=False)
    return pq.read_metadata(path).num_rows


def _write_response(out: Path, records: list[dict[str, Any]], info: dict[str, Any] | None) -> None:
    payload: dict[str, Any] = {"records": records}
    if info is not None:
        payload["info"] = info
    tmp = out / "response.json.tmp"
    tmp.write_text(json.dumps(payload))
    tmp.replace(out / "response.json")
