"""The serving suite: build or find the server env, start one server, check, fault, load-test.

One server holds every chosen model twice (dynamic batching on and off), so both variants are
measured by the same server and client in the same run. The server is stopped, and its pid
checked gone, before `run_suite` returns, whether it succeeded or not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gpulab.progress import ProgressFn, no_progress

from .checks import CheckRow, compare
from .config import ServingConfig
from .env import ServerEnv
from .faults import FaultRow, faulty_model
from .loadtest import LoadRow, best_under, measure, served_outputs
from .server import start_server
from .sizing import fit_to_memory
from .spec import NOBATCH_SUFFIX


@dataclass
class SuiteResult:
    """Everything one run measured; `server_pid` is the stopped server's, `server_gone` its fate."""

    config: ServingConfig
    ready_s: float = 0.0
    checks: list[CheckRow] = field(default_factory=list)
    faults: list[FaultRow] = field(default_factory=list)
    rows: list[LoadRow] = field(default_factory=list)
    gpu: dict[str, Any] = field(default_factory=dict)
    server_pid: int = 0
    server_gone: bool = False
    server_notes: list[str] = field(default_factory=list)  # what the server said of its set-up

    def best(self, model: str, batching: bool) -> LoadRow | None:
        rows = [r for r in self.rows if r.model == model and r.batching == batching]
        return best_under([r for r in rows if r.mode == "closed"], self.config.p99_limit_ms)

    def gain(self, model: str) -> float | None:
        """Throughput at p99 within the limit, batching on / off (None where either misses)."""
        on, off = self.best(model, True), self.best(model, False)
        if on is None or off is None or off.throughput_rps <= 0:
            return None
        return on.throughput_rps / off.throughput_rps

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "ready_s": self.ready_s,
            "checks": [c.to_dict() for c in self.checks],
            "faults": [f.to_dict() for f in self.faults],
            "rows": [r.to_dict() for r in self.rows],
            "gpu": self.gpu,
            "server_pid": self.server_pid,
            "server_gone": self.server_gone,
            "server_notes": self.server_notes,
        }


def _sampler(config: ServingConfig) -> Any:
    from gpulab.telemetry import TelemetrySampler

    return TelemetrySampler(interval_s=0.2) if config.device == "cuda" else None


def _util(sampler: Any, seconds: float) -> float | None:
    if sampler is None or not sampler.available:
        return None
    recent = sampler.samples(since=time.monotonic() - seconds)
    values = [s.utilization_pct for s in recent if s.utilization_pct is not None]
    return sum(values) / len(values) if values else None


def run_suite(
    config: ServingConfig,
    env: ServerEnv,
    progress: ProgressFn = no_progress,
    on_row: Callable[[LoadRow], None] | None = None,
    faults: bool = True,
) -> SuiteResult:
    """Start the server, check every model, run the faults, then the load test; stop it."""
    config = fit_to_memory(config.validate())
    names = [n for m in config.models for n in (m, m + NOBATCH_SUFFIX)]
    total = len(names) + 1 + len(config.models) + 1 + len(names) * config.levels()
    result = SuiteResult(config)
    server = start_server(config, env, lambda d, t, note: progress(d, total, note))
    result.server_pid = server.pid
    done = len(names) + 1
    sampler = _sampler(config)
    try:
        result.ready_s = server.ready_s
        result.server_notes = server.notes()
        for name in config.models:
            progress(done, total, f"checking {name} against a direct forward pass")
            result.checks.append(compare(config, name, served_outputs(config, server, name)))
            done += 1
        if faults:
            result.faults.append(faulty_model(config, server))
        done += 1
        if sampler is not None:
            sampler.start()
        for name in names:

            def take(row: LoadRow, name: str = name) -> None:
                nonlocal done
                done += 1
                row = _with_util(row, _util(sampler, row.seconds))
                result.rows.append(row)
                progress(done, total, f"{name} {row.mode} {row.level:g}")
                if on_row is not None:
                    on_row(row)

            measure(config, server, name, take)
    finally:
        if sampler is not None:
            sampler.stop()
            result.gpu = _gpu_summary(sampler)
        server.stop()
        result.server_gone = not _pid_alive(server.pid)
    return result


def _with_util(row: LoadRow, util: float | None) -> LoadRow:
    return replace(row, gpu_util_mean=util)


def _gpu_summary(sampler: Any) -> dict[str, Any]:
    if not sampler.available:
        return {"available": False, "reason": str(sampler.error)}
    samples = sampler.samples()
    values = [s.utilization_pct for s in samples]
    peak = max((s.memory_used_mib for s in samples), default=None)
    mean = sum(values) / len(values) if values else None
    return {
        "available": True,
        "samples": len(samples),
        "util_mean_pct": mean,
        "memory_peak_mib": peak,
    }


def _pid_alive(pid: int) -> bool:
    """True while `pid` runs (a reaped or zombie process is gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
