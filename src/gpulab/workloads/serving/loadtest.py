"""Run the client child against a server and read its per-level JSON lines back."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from gpulab.owned_process import OwnedProcess

from .config import ServingConfig
from .server import Server
from .spec import NOBATCH_SUFFIX


@dataclass(frozen=True)
class LoadRow:
    """One measured level: a model variant at a concurrency (closed) or rate (open)."""

    model: str
    batching: bool
    mode: str
    level: float
    sent: int
    ok: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    throughput_rps: float
    seconds: float
    first_error: str = ""
    gpu_util_mean: float | None = None
    server_batch_mean: float | None = None  # requests per batch the server executed
    server_queue_ms: float | None = None  # per request, from the server's statistics
    server_compute_ms: float | None = None  # input + infer + output, per request

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _job(config: ServingConfig, server: Server, model: str, mode: str, **extra: Any) -> dict:
    base = model.removesuffix(NOBATCH_SUFFIX)
    job = {
        "url": server.grpc_url,
        "model": model,
        "base_model": base,
        "tiny": config.tiny,
        "mode": mode,
        "seed": config.seed + 1,
        "pool": max(config.check_count, 16),
        "requests": config.requests_per_level,
        "seconds": config.seconds_per_level,
        "processes": config.client_processes,
        "stats_url": f"http://127.0.0.1:{server.spec.http_port}/v2/models/{model}/stats",
    }
    return job | extra


def run_client(
    server: Server, job: dict[str, Any], on_line: Callable[[dict], None], timeout_s: float
) -> None:
    """Run one client job to its end, passing its JSON lines to `on_line` on this thread (the
    notebook's output and progress bar live here, not on the drain thread); a client that
    fails raises with its output."""
    path = server.workdir / f"job-{job['model']}-{job['mode']}.json"
    path.write_text(json.dumps(job))
    lines: queue.Queue[str] = queue.Queue()
    module = "gpulab.workloads.serving.client_main"
    command = [str(server.env.python), "-m", module, str(path)]
    child = OwnedProcess(command, server.env.child_env(), lines.put)
    deadline = time.monotonic() + timeout_s
    while child.alive or not lines.empty():
        if time.monotonic() > deadline:
            break
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line.startswith("{"):
            on_line(json.loads(line))
    code = child.wait(max(1.0, deadline - time.monotonic()))
    while not lines.empty():
        line = lines.get()
        if line.startswith("{"):
            on_line(json.loads(line))
    if code != 0:
        raise RuntimeError(f"the load-test client exited with status {code}:\n{child.tail()}")


def measure(
    config: ServingConfig,
    server: Server,
    model: str,
    on_row: Callable[[LoadRow], None],
    modes: tuple[str, ...] = ("closed", "open"),
) -> list[LoadRow]:
    """Every level of `modes` for one served model name, by one client child (and its worker
    processes); each row goes to `on_row` as it lands."""
    levels = {"closed": list(config.concurrency), "open": list(config.rates)}
    phases = [[mode, levels[mode]] for mode in modes if levels[mode]]
    rows: list[LoadRow] = []
    batching = not model.endswith(NOBATCH_SUFFIX)

    def take(data: dict[str, Any]) -> None:
        data = {k: v for k, v in data.items() if k != "model"}
        row = LoadRow(model=model.removesuffix(NOBATCH_SUFFIX), batching=batching, **data)
        rows.append(row)
        on_row(row)

    if phases:
        count = sum(len(p[1]) for p in phases)
        limit = count * (config.seconds_per_level + 40) + 60
        run_client(server, _job(config, server, model, "load", phases=phases), take, limit)
    return rows


def served_outputs(config: ServingConfig, server: Server, model: str) -> Any:
    """The server's answers to the check requests (one request per example, sent at once)."""
    import numpy as np

    out = server.workdir / f"out-{model}.npy"
    job = _job(config, server, model, "infer", out=str(out), pool=config.check_count)
    run_client(server, job, lambda _: None, timeout_s=120)
    return np.load(out)


def perf_analyzer(server: Server, model: str, concurrency: int, timeout_s: float = 60) -> dict:
    """perf_analyzer's own measurement where its binary is present, else why not."""
    binary = shutil.which("perf_analyzer")
    if binary is None:
        return {
            "ran": False,
            "reason": "perf_analyzer is not on PATH (tritonclient 2.73's "
            "wheel does not ship it; pip install perf-analyzer)",
        }
    command = [
        binary,
        "-m",
        model,
        "-u",
        server.grpc_url,
        "-i",
        "grpc",
        "--concurrency-range",
        f"{concurrency}",
        "--measurement-interval",
        "2000",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, start_new_session=True
        )
    except subprocess.TimeoutExpired:
        return {"ran": False, "reason": f"perf_analyzer ran past {timeout_s:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if "throughput" in line.lower()]
    return {"ran": done.returncode == 0, "reason": done.stderr.strip()[-300:], "lines": lines}


def best_under(rows: list[LoadRow], p99_limit_ms: float) -> LoadRow | None:
    """The knee: the highest-throughput error-free level whose p99 stays within the limit."""
    fits = [r for r in rows if r.errors == 0 and r.p99_ms is not None and r.p99_ms <= p99_limit_ms]
    return max(fits, key=lambda r: r.throughput_rps, default=None)
