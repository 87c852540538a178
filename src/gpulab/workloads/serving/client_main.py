"""The load-test client child: `python -m gpulab.workloads.serving.client_main JOB.json`.

Runs in the server environment (tritonclient's gRPC asyncio client comes with PyTriton) and
prints one JSON line per measured level, so the notebook can chart the load test while it
runs. A `load` job runs its phases in order, `closed` (N requests in flight, each worker
sending its next when its last answered) then `open` (requests started at a target rate
whatever the answers), spread over the job's worker processes (`load_workers`); an `infer`
job sends the check requests, every example once, and saves the answers (.npy). A warm-up
second at the highest concurrency comes first and is not reported. Every level is bounded by a
request count and by seconds; only 127.0.0.1 is contacted. Each level's row also carries what
the server's own statistics saw in that window: mean batch size, queue and compute time.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
from typing import Any

from gpulab.workloads.serving import models
from gpulab.workloads.serving.load_workers import Result, WorkerPool, request_inputs

_STAGES = ("queue", "compute_input", "compute_infer", "compute_output")


def _summary(
    job: dict[str, Any], mode: str, level: float, results: list[Result], wall: float
) -> dict[str, Any]:
    import numpy as np

    ok = [t for t, err in results if not err]
    errors = [err for _, err in results if err]
    pct = np.percentile(np.array(ok) * 1e3, [50, 95, 99]).tolist() if ok else [None] * 3
    return {
        "model": job["model"],
        "mode": mode,
        "level": level,
        "sent": len(results),
        "ok": len(ok),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "p50_ms": pct[0],
        "p95_ms": pct[1],
        "p99_ms": pct[2],
        "throughput_rps": len(ok) / wall if wall > 0 else 0.0,
        "seconds": wall,
    }


def _stats(job: dict[str, Any]) -> dict[str, float] | None:
    """The server's cumulative counters for the job's model (HTTP statistics endpoint)."""
    if not job.get("stats_url"):
        return None
    try:
        with urllib.request.urlopen(job["stats_url"], timeout=5) as reply:
            entries = json.load(reply)["model_stats"]
    except (OSError, ValueError, KeyError):
        return None
    totals = {"inference_count": 0.0, "execution_count": 0.0}
    for entry in entries:
        totals["inference_count"] += float(entry.get("inference_count", 0))
        totals["execution_count"] += float(entry.get("execution_count", 0))
        for stage in _STAGES:
            part = entry.get("inference_stats", {}).get(stage, {})
            totals[stage + "_ns"] = totals.get(stage + "_ns", 0.0) + float(part.get("ns", 0))
    return totals


def _server_side(before: dict | None, after: dict | None) -> dict[str, float | None]:
    """Per level: requests per executed batch, and queue / compute ms per request."""
    keys = ("server_batch_mean", "server_queue_ms", "server_compute_ms")
    if before is None or after is None:
        return dict.fromkeys(keys)
    done = after["inference_count"] - before["inference_count"]
    batches = after["execution_count"] - before["execution_count"]
    if done <= 0 or batches <= 0:
        return dict.fromkeys(keys)

    def per_request_ms(*stages: str) -> float:
        return sum(after[s + "_ns"] - before[s + "_ns"] for s in stages) / done / 1e6

    return {
        "server_batch_mean": done / batches,
        "server_queue_ms": per_request_ms("queue"),
        "server_compute_ms": per_request_ms(*_STAGES[1:]),
    }


async def _infer(job: dict[str, Any]) -> None:
    import numpy as np
    import tritonclient.grpc as grpcclient
    import tritonclient.grpc.aio as aio

    shape = models.ModelShape(job["base_model"], tiny=job["tiny"])
    inputs = request_inputs(grpcclient, models.example_inputs(shape, job["pool"], job["seed"]))
    client = aio.InferenceServerClient(job["url"])
    try:
        replies = await asyncio.gather(*(client.infer(job["model"], i) for i in inputs))
        np.save(job["out"], np.concatenate([r.as_numpy("output") for r in replies]))
        print(json.dumps({"mode": "infer", "saved": job["out"]}), flush=True)
    finally:
        await client.close()


def _load(job: dict[str, Any]) -> None:
    pool = WorkerPool(job, int(job.get("processes", 1)))
    try:
        # Warm-up, not reported: the connections, the server's queues and its first batches.
        closed = [max(levels) for mode, levels in job["phases"] if mode == "closed"]
        pool.measure("closed", closed[0] if closed else 1, job["requests"], 1.0)
        for mode, levels in job["phases"]:
            for level in levels:
                before = _stats(job)
                start = time.perf_counter()
                results = pool.measure(mode, level, job["requests"], job["seconds"])
                wall = time.perf_counter() - start
                row = _summary(job, mode, level, results, wall)
                print(json.dumps(row | _server_side(before, _stats(job))), flush=True)
    finally:
        pool.close()


if __name__ == "__main__":
    from pathlib import Path

    job = json.loads(Path(sys.argv[1]).read_text())
    if job["mode"] == "infer":
        asyncio.run(_infer(job))
    else:
        _load(job)
