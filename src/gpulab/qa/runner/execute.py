"""Run one notebook in its own process group under a timeout, sampling its GPU memory.

One subprocess per notebook: a notebook that hangs, leaks GPU memory or kills its kernel cannot
take the next one down with it. The child (child.py) starts marimo's kernel as a grandchild, and
notebooks may start servers or workers of their own, so the timeout kills the whole process group
and every descendant seen, and GPU memory is summed over all of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from gpulab import memory_budget as memory_budget_env
from gpulab import nvml, profiles
from gpulab.qa.runner.outcome import TIMEOUT, CellError, CellStatus, Verdict, classify
from gpulab.telemetry import gpu_memory_by_pid

SAMPLE_SECONDS = 0.2
LOG_TAIL_CHARS = 1500


@dataclass
class NotebookResult:
    """One notebook on one device in one profile: a row of report.json."""

    notebook: str
    profile: str
    device: str
    status: str
    seconds: float
    peak_gpu_mib: float | None  # None: no NVML here, so not measured (not zero)
    error: CellError | None = None
    reason: str | None = None
    cells: list[CellStatus] = field(default_factory=list)
    log: str | None = None
    ran_at: str = ""
    first_render_s: float | None = None
    screenshot: str | None = None
    memory_budget_mib: float | None = None  # the GPU memory cap the run was under, if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def slug(text: str) -> str:
    """A file-name-safe form of a notebook path or device name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "x"


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _kill(process: subprocess.Popen[bytes], seen: dict[int, psutil.Process]) -> None:
    """SIGKILL the child's process group, then any descendant that left the group (setsid)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for proc in seen.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()  # psutil checks the PID was not reused by another process
    process.wait()


def _peak_gpu(tree: list[psutil.Process], peak: float | None) -> float | None:
    usage = gpu_memory_by_pid()
    if not usage:
        return peak
    total = sum(usage.get(proc.pid, 0.0) for proc in tree)
    return total if peak is None else max(peak, total)


def run_notebook(
    path: Path,
    *,
    profile: str,
    timeout: float,
    device: str,
    label: str,
    log_dir: Path,
    extra_args: tuple[str, ...] = (),
    memory_budget: int | None = None,
) -> NotebookResult:
    """Execute `path` headless with the profile's CLI args; never raises for the notebook's faults."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{slug(label)}.{slug(device)}.{profile}.log"
    measured = nvml.ensure()
    peak: float | None = 0.0 if measured else None
    seen: dict[int, psutil.Process] = {}
    timed_out = False
    ran_at = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="gpulab-test-") as tmp, log_path.open("wb") as log:
        out = Path(tmp) / "cells.json"
        command = [sys.executable, "-m", "gpulab.qa.runner.child", str(path), str(out)]
        command += [*profiles.NOTEBOOK_ARGS[profile], *extra_args]
        env = dict(os.environ)
        if memory_budget is not None:
            env[memory_budget_env.ENV_VAR] = f"{memory_budget}B"
        start = time.monotonic()
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,  # a file, not a pipe: a pipe nobody reads blocks the child when full
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole on timeout
        )
        root = psutil.Process(process.pid)
        while process.poll() is None:
            tree = _tree(root)
            seen.update((proc.pid, proc) for proc in tree)
            if measured:
                peak = _peak_gpu(tree, peak)
            if time.monotonic() - start > timeout:
                timed_out = True
                _kill(process, seen)
                break
            time.sleep(SAMPLE_SECONDS)
        seconds = time.monotonic() - start
        if not timed_out:
            # A notebook's own background process may outlive the run; it must not leak.
            _kill(process, seen)
        run = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    if timed_out:
        verdict = Verdict(TIMEOUT, reason=f"killed after {timeout:g} s (whole process group)")
    elif run is None:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]
        verdict = classify(
            {"crash": {"type": "RunnerError", "message": f"exit {process.returncode}: {tail}"}}
        )
    else:
        verdict = classify(run)
    return NotebookResult(
        notebook=label,
        profile=profile,
        device=device,
        status=verdict.status,
        seconds=round(seconds, 2),
        peak_gpu_mib=None if peak is None else round(peak, 1),
        error=verdict.error,
        reason=verdict.reason,
        cells=verdict.cells,
        log=str(log_path),
        ran_at=ran_at,
        memory_budget_mib=None if memory_budget is None else round(memory_budget / 2**20, 1),
    )
