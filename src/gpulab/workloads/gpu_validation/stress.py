"""A stress test the notebook owns: one child process, tracked by PID, stopped exactly.

`StressRun` starts `python -m gpulab.workloads.gpu_validation.stress_worker` in a new session, so
the worker leads its own process group and nothing else is in it; stopping sends SIGTERM, then
SIGKILL, to that group only: nothing is looked up or killed by name. Its stdout is drained by a
thread (a pipe nobody reads fills up and blocks the child), and every JSON line it prints is kept
as a report.

The worker ends on its own after the chosen duration; a watchdog stops it if it does not; it also
exits when this process dies (its stdin closes), so a crashed kernel leaves no load behind.

    run = StressRun(StressConfig(gpus=(0,), duration_s=60)).start()
    ...                       # telemetry keeps sampling meanwhile
    run.stop()                # or run.wait(); either leaves no process behind
    run.summary(sampler.samples())
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, ClassVar

from gpulab.progress import ProgressFn, no_progress
from gpulab.telemetry import Sample
from gpulab.workloads.gpu_validation import stress_report
from gpulab.workloads.gpu_validation.config import StressConfig
from gpulab.workloads.gpu_validation.stress_report import DeviceStress, StressSummary

WORKER_MODULE = "gpulab.workloads.gpu_validation.stress_worker"


class StressRun:
    """One stress worker process: start, watch, stop (its own process group only), summarise."""

    _active: ClassVar[set[StressRun]] = set()  # started and not yet finished
    MAX_EVENTS = 100_000
    WATCHDOG_SLACK_S = 60.0  # start-up allowance on top of the duration before forcing a stop

    def __init__(self, config: StressConfig, python: str = sys.executable) -> None:
        self.config = config
        self.python = python
        self.pid: int | None = None
        self.started_at: float | None = None  # time.monotonic(), comparable with Sample.t
        self.ended_at: float | None = None
        self.stop_reason: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._reaped = False
        self._events: deque[dict[str, Any]] = deque(maxlen=self.MAX_EVENTS)
        self._log: deque[str] = deque(maxlen=200)
        self._lock = threading.Lock()  # guards the reports the reader thread appends
        self._control = threading.RLock()  # serialises stop/finish (notebook, watchdog, atexit)
        self._reader: threading.Thread | None = None
        self._watchdog: threading.Timer | None = None

    # -- starting ---------------------------------------------------------------------------
    def command(self) -> list[str]:
        c = self.config
        devices = ",".join(f"cuda:{i}" for i in range(len(c.gpus))) if c.gpus else "cpu"
        cmd = [
            self.python,
            "-m",
            WORKER_MODULE,
            f"--devices={devices}",
            f"--dtype={c.dtype}",
            f"--size={c.size}",
            f"--duration={c.duration_s}",
            f"--interval={c.interval_s}",
            f"--check-every={c.check_every}",
            f"--cpu-threads={c.cpu_threads}",
            f"--parent-pid={os.getpid()}",
        ]
        if c.gpus:
            cmd.append(f"--labels={','.join(map(str, c.gpus))}")
        if c.inject_error_at_check:
            cmd.append(f"--inject-error-at-check={c.inject_error_at_check}")
        return cmd

    def environment(self) -> dict[str, str]:
        """The worker sees exactly the chosen GPUs, as cuda:0..n-1, whatever CUDA's ordering."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        if not self.config.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ""  # a CPU load must not create CUDA contexts
            return env
        uuids = _gpu_uuids(self.config.gpus)
        if uuids:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(uuids)
        else:  # no NVML: make CUDA number GPUs in NVML's (PCI bus) order, pick by index
            env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
            env["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, self.config.gpus))
        return env

    def start(self) -> StressRun:
        if self._proc is not None:
            raise RuntimeError("this StressRun was already started; create a new one")
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,  # held open: EOF tells the worker we are gone
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one pipe, drained by one thread
            start_new_session=True,  # own session => own process group, led by the worker
            env=self.environment(),
            text=True,
            errors="replace",  # a traceback in an odd encoding must not kill the reader
            bufsize=1,
        )
        self.pid = self._proc.pid
        self.started_at = time.monotonic()
        self._reader = threading.Thread(
            target=self._drain, name="gpulab-stress-reader", daemon=True
        )
        self._reader.start()
        self._watchdog = threading.Timer(
            self.config.duration_s + self.WATCHDOG_SLACK_S, self.stop, kwargs={"reason": "watchdog"}
        )
        self._watchdog.daemon = True
        self._watchdog.start()
        StressRun._active.add(self)
        return self

    @property
    def pgid(self) -> int | None:
        """The worker's process group: its own PID (start_new_session makes it the leader)."""
        return self.pid

    def _drain(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            for line in self._proc.stdout:
                line = line.rstrip("\n")
                record = _parse_event(line)
                with self._lock:
                    if record is None:
                        self._log.append(line)
                    else:
                        self._events.append(record)
        except (OSError, ValueError):  # the pipe was closed under us after a failed join
            return

    # -- state --------------------------------------------------------------------------------
    def _exited(self) -> bool:
        """Has the worker exited? Checked without reaping it, so its PID (and group) stay ours."""
        if self._proc is None:
            return False
        if self._reaped:
            return True
        try:
            return (
                os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                is not None
            )
        except ChildProcessError:
            return True

    @property
    def running(self) -> bool:
        """True while the worker runs; once it has exited on its own, it is cleaned up here."""
        if self._proc is None or self._reaped:
            return False
        if self._exited():
            self._finish(reason="duration")
            return False
        return True

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._reaped and self._proc else None

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            rows = list(self._events)
        return [r for r in rows if event is None or r.get("event") == event]

    def log(self) -> list[str]:
        """Lines the worker printed that are not reports (warnings, a traceback)."""
        with self._lock:
            return list(self._log)

    def leftover_processes(self) -> list[int]:
        """PIDs still in the worker's process group: [] once stopped (what `ps` would show)."""
        return group_members(self.pgid) if self.pgid is not None else []

    def elapsed_s(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.ended_at or time.monotonic()) - self.started_at

    # -- stopping -----------------------------------------------------------------------------
    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, sig)  # type: ignore[arg-type]

    def _wait_exit(self, timeout_s: float | None, progress: ProgressFn | None = None) -> bool:
        deadline = math.inf if timeout_s is None else time.monotonic() + timeout_s
        next_report = 0.0
        while not self._exited():
            now = time.monotonic()
            if now >= deadline:
                return False
            if progress is not None and now >= next_report:  # four reports a second
                progress(self.load_done_s(), self.config.duration_s, "load running")
                next_report = now + 0.25
            time.sleep(0.05)  # polling the child's state; no work is simulated
        return True

    def load_done_s(self) -> float:
        """Seconds of load so far, from the first device ready (start-up is not load), capped
        at the duration: the work a progress bar counts."""
        ready, _ = self.load_window()
        if ready is None:
            return 0.0
        end = self.ended_at or time.monotonic()
        return min(self.config.duration_s, max(0.0, end - ready))

    def wait(self, timeout_s: float | None = None, progress: ProgressFn = no_progress) -> bool:
        """Block until the worker ends by itself (True) or `timeout_s` passes (False), reporting
        `progress(load seconds done, duration, note)` meanwhile."""
        if self._proc is None:
            return True
        if not self._wait_exit(timeout_s, progress):
            return False
        progress(self.config.duration_s, self.config.duration_s, "done")
        self._finish(reason="duration")
        return True

    def stop(self, reason: str = "stopped", grace_s: float = 10.0) -> None:
        """SIGTERM the worker's group, SIGKILL it after `grace_s`; no-op once finished."""
        with self._control:
            if self._proc is None or self._reaped:
                return
            if not self._exited():
                self.stop_reason = self.stop_reason or reason
                self._signal_group(signal.SIGTERM)  # the worker reports its last interval
                if not self._wait_exit(grace_s):
                    self._signal_group(signal.SIGKILL)
                    self._wait_exit(10.0)
            self._finish(reason=reason)

    def _finish(self, reason: str) -> None:
        """Sweep the group while the exited leader still holds its ID, then reap and tidy up."""
        with self._control:
            if self._proc is None or self._reaped:
                return
            self._signal_group(signal.SIGKILL)  # anything the worker left in its group
            self._proc.wait()
            self._reaped = True
            self.ended_at = time.monotonic()
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            if self._reader is not None:
                self._reader.join(timeout=5)  # the worker is gone: its pipe is at EOF
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            done = self.events("done")
            self.stop_reason = self.stop_reason or (done[-1].get("reason") if done else reason)
            StressRun._active.discard(self)

    def __enter__(self) -> StressRun:
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- results ------------------------------------------------------------------------------
    def load_window(self) -> tuple[float | None, float]:
        """(first device ready, last report) in time.monotonic() seconds."""
        return stress_report.load_window(self.events(), self.ended_at or time.monotonic())

    def device_reports(self) -> dict[str, DeviceStress]:
        return stress_report.device_reports(self.events(), self.config.flops_per_product)

    def summary(self, samples: Sequence[Sample] = (), settle_s: float = 5.0) -> StressSummary:
        """Reports plus telemetry: utilisation over the steady part (after `settle_s`), maxima
        and throttle reasons over the whole load."""
        start, end = self.load_window()
        telemetry: dict[int, dict[str, Any]] = {}
        if start is not None:
            telemetry = stress_report.telemetry_during(
                samples, self.config.gpus, start, end, settle_s
            )
        done = self.events("done")
        return StressSummary(
            pid=self.pid,
            stop_reason=self.stop_reason,
            returncode=self.returncode,
            load_seconds=done[-1].get("load_seconds") if done else None,
            devices=self.device_reports(),
            telemetry=telemetry,
            config=asdict(self.config),
        )


def _parse_event(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and "event" in record else None


def _gpu_uuids(gpus: Sequence[int]) -> list[str] | None:
    """NVML UUIDs of the chosen GPUs (None when NVML cannot name every one)."""
    from gpulab.device import probe

    by_index = {gpu.index: gpu.uuid for gpu in probe(use_torch=False).gpus}
    uuids = [by_index.get(i) for i in gpus]
    return None if None in uuids else uuids  # type: ignore[return-value]


def group_members(pgid: int) -> list[int]:
    """Every live PID whose process group is `pgid`, found by group ID, never by name."""
    import psutil

    members = []
    for pid in psutil.pids():
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pgid:
                members.append(pid)
    return members


def active_runs() -> list[StressRun]:
    """Stress workers started by this process that have not been stopped yet."""
    return [run for run in list(StressRun._active) if run.running]


def stop_all() -> None:
    """Stop every worker this process started (and only those): notebook re-runs, exit."""
    for run in list(StressRun._active):
        run.stop()


atexit.register(stop_all)
