"""The load-test client child: `python -m gpulab.workloads.serving.client_main JOB.json`.

Runs in the server environment (tritonclient's gRPC asyncio client comes with PyTriton) and
prints one JSON line per measured level, so the notebook can chart the load test while it
runs. A `load` job runs its phases in order, `closed` (N workers, each sending its next request
when the last answered) then `open` (requests started at a target rate whatever the answers);
an `infer` job sends the check requests, every example once, and saves the answers (.npy).
A warm-up second at the highest concurrency comes first and is not reported. Every level is bounded by a
request count and by seconds; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from gpulab.workloads.serving import models

_TYPES = {"float32": "FP32", "int64": "INT64", "uint8": "UINT8"}


def _request(np: Any, grpcclient: Any, pool: Any, index: int) -> list[Any]:
    row = pool[index % len(pool)][None]
    tensor = grpcclient.InferInput("input", list(row.shape), _TYPES[str(row.dtype)])
    tensor.set_data_from_numpy(row)
    return [tensor]


async def _one(client: Any, model: str, inputs: list[Any]) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        await client.infer(model, inputs, client_timeout=30)
        return time.perf_counter() - start, ""
    except Exception as err:  # a failed request is a counted result, not a crash
        return time.perf_counter() - start, str(err).splitlines()[0][:300]


def _summary(
    job: dict[str, Any], mode: str, level: float, results: list[tuple[float, str]], wall: float
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


async def _closed(client: Any, job: dict[str, Any], make: Any, level: int) -> list[Any]:
    results: list[tuple[float, str]] = []
    deadline = time.perf_counter() + job["seconds"]
    counter = iter(range(job["requests"]))

    async def worker() -> None:
        for index in counter:
            if time.perf_counter() > deadline:
                return
            results.append(await _one(client, job["model"], make(index)))

    await asyncio.gather(*(worker() for _ in range(level)))
    return results


async def _open(client: Any, job: dict[str, Any], make: Any, rate: float) -> list[Any]:
    count = min(job["requests"], max(1, int(rate * job["seconds"])))
    start = time.perf_counter()
    tasks = []
    for index in range(count):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(client, job["model"], make(index))))
    return list(await asyncio.gather(*tasks))


async def _run(job: dict[str, Any]) -> None:
    import numpy as np
    import tritonclient.grpc as grpcclient
    import tritonclient.grpc.aio as aio

    shape = models.ModelShape(job["base_model"], tiny=job["tiny"])
    pool = models.example_inputs(shape, job["pool"], seed=job["seed"])
    client = aio.InferenceServerClient(job["url"])
    try:
        if job["mode"] == "infer":
            make = lambda i: _request(np, grpcclient, pool, i)  # noqa: E731
            replies = await asyncio.gather(
                *(client.infer(job["model"], make(i)) for i in range(len(pool)))
            )
            np.save(job["out"], np.concatenate([r.as_numpy("output") for r in replies]))
            print(json.dumps({"mode": "infer", "saved": job["out"]}), flush=True)
            return
        inputs = [_request(np, grpcclient, pool, i) for i in range(len(pool))]
        make = lambda i: inputs[i % len(inputs)]  # noqa: E731
        # Warm-up, not reported: the connection, the server's queues and its first batches.
        closed = [max(levels) for mode, levels in job["phases"] if mode == "closed"]
        top = closed[0] if closed else 1
        await _closed(client, job | {"seconds": min(1.0, job["seconds"])}, make, int(top))
        for mode, levels in job["phases"]:
            run = _closed if mode == "closed" else _open
            for level in levels:
                start = time.perf_counter()
                results = await run(client, job, make, level)
                wall = time.perf_counter() - start
                print(json.dumps(_summary(job, mode, level, results, wall)), flush=True)
    finally:
        await client.close()


if __name__ == "__main__":
    from pathlib import Path

    asyncio.run(_run(json.loads(Path(sys.argv[1]).read_text())))
