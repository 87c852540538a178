"""Lint many files on every CPU the process may use: each notebook is linted on its own, so a
folder of them splits across worker processes (forked after marimo is imported, so no worker
pays for the import again). Few files, one CPU, or `GPULAB_LINT_JOBS=1` lint in-process."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

MIN_FILES_PER_WORKER = 8  # below this, starting workers costs more than it saves


def workers_for(files: int) -> int:
    """How many processes to lint `files` files with (1: in this process)."""
    configured = os.environ.get("GPULAB_LINT_JOBS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        available = int(configured)
    else:
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if not sys.platform.startswith("linux"):
        return 1  # fork is the only start method that keeps marimo imported
    return max(1, min(available, files // MIN_FILES_PER_WORKER))


def run_all(
    work: Callable[[Job], Result], jobs: Sequence[Job], prepare: Callable[[], object]
) -> list[Result]:
    """`[work(job) for job in jobs]`, in order, split across worker processes when it pays.
    `prepare` runs first in this process (it imports and warms what the workers share)."""
    count = workers_for(len(jobs))
    if count <= 1:
        return [work(job) for job in jobs]
    prepare()
    context = multiprocessing.get_context("fork")
    chunk = max(1, len(jobs) // (count * 4))
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        return list(pool.map(work, jobs, chunksize=chunk))
