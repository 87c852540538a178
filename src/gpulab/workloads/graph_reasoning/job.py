"""Training in a background thread, so a served notebook stays responsive to its Stop button.

marimo handles a button press only between cell runs. The run cell therefore starts a
`TrainingJob` and returns; a refresh-driven cell draws its live curves, and the Stop button's
cell sets the job's stop flag, which the training loop checks after every epoch. Headless runs
(`gpulab test`, CI) call `run_here` instead and wait, with a progress bar.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from gpulab.memory import oom_guard
from gpulab.progress import EtaEstimator, ProgressFn, no_progress

from .config import ReasoningConfig
from .suite import SuiteResult, planned_work, run_suite

_active: list[TrainingJob] = []
SUGGESTIONS = (
    "lower the batch size or the hidden width",
    "lower graphs per domain",
    "train on the CPU (device: cpu)",
)


class TrainingJob:
    """One suite run, its live epoch rows, and a stop flag."""

    def __init__(self, config: ReasoningConfig, resume: bool = True) -> None:
        config.validate()
        self.config = config
        self.resume = resume
        self.rows: list[dict[str, Any]] = []
        self.estimator = EtaEstimator(total=planned_work(config))
        self.note = "starting"
        self.result: SuiteResult | None = None
        self.error: BaseException | None = None
        self.started_at = time.time()
        self.published = False  # the notebook has put this job's result on screen
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None

    def _progress(self, done: float, total: float, note: str = "") -> None:
        self.estimator.update(done)
        self.note = note

    def _run(self, progress: ProgressFn = no_progress) -> None:
        def both(done: float, total: float, note: str = "") -> None:
            self._progress(done, total, note)
            progress(done, total, note)

        try:
            with oom_guard(SUGGESTIONS):
                self.result = run_suite(
                    self.config, both, self.rows.append, self._stop.is_set, self.resume
                )
        except BaseException as err:  # shown by the notebook's status cell
            self.error = err
        finally:
            self._finished.set()

    def start(self) -> TrainingJob:
        """Train in a daemon thread; returns at once."""
        stop_all()
        _active.append(self)
        self._thread = threading.Thread(target=self._run, name="graph-reasoning", daemon=True)
        self._thread.start()
        return self

    def run_here(self, progress: ProgressFn = no_progress) -> SuiteResult:
        """Train in this thread (headless runs); raises what training raised."""
        self._run(progress)
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    @property
    def live_rows(self) -> list[dict[str, Any]]:
        """A copy of the epoch rows so far (the thread appends while a cell reads)."""
        return list(self.rows)

    def stop(self) -> None:
        """Ask the loop to stop after the current epoch."""
        self._stop.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self._finished.wait(timeout_s)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() and not self.finished


def stop_all(timeout_s: float = 30.0) -> int:
    """Stop every job this process started and wait for their threads; how many were running."""
    running = [job for job in _active if not job.finished]
    for job in running:
        job.stop()
    for job in running:
        job.wait(timeout_s)
    _active.clear()
    return len(running)


def active_job() -> TrainingJob | None:
    return next((job for job in reversed(_active) if not job.finished), None)
