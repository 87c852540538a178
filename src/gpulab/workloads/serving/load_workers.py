"""The load generator's loops and the worker processes that run them side by side.

One Python process and its gRPC asyncio client top out at a few hundred large requests per
second, below what a batching server answers; the load is therefore spread over `processes`
workers, each with its own interpreter, event loop and connection. A level's concurrency (or
rate) and request count are split between them, all start together, and their raw latencies
are merged before percentiles are taken. Runs in the server environment (tritonclient).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from typing import Any

from gpulab.workloads.serving import models

_TYPES = {"float32": "FP32", "int64": "INT64", "uint8": "UINT8"}

Result = tuple[float, str]  # seconds, error text ("" when the request succeeded)


def request_inputs(grpcclient: Any, pool: Any) -> list[list[Any]]:
    """One request's InferInput per example of the pool (serialised once, sent many times)."""
    inputs = []
    for row in pool:
        row = row[None]
        tensor = grpcclient.InferInput("input", list(row.shape), _TYPES[str(row.dtype)])
        tensor.set_data_from_numpy(row)
        inputs.append([tensor])
    return inputs


async def _one(client: Any, model: str, inputs: list[Any]) -> Result:
    start = time.perf_counter()
    try:
        await client.infer(model, inputs, client_timeout=30)
        return time.perf_counter() - start, ""
    except Exception as err:  # a failed request is a counted result, not a crash
        return time.perf_counter() - start, str(err).splitlines()[0][:300]


async def closed_loop(
    client: Any, model: str, inputs: list, level: int, requests: int, seconds: float
) -> list[Result]:
    """`level` requests in flight: each worker sends its next when its last one answered."""
    results: list[Result] = []
    deadline = time.perf_counter() + seconds
    counter = iter(range(requests))

    async def worker() -> None:
        for index in counter:
            if time.perf_counter() > deadline:
                return
            results.append(await _one(client, model, inputs[index % len(inputs)]))

    await asyncio.gather(*(worker() for _ in range(level)))
    return results


async def open_loop(
    client: Any, model: str, inputs: list, rate: float, requests: int, seconds: float
) -> list[Result]:
    """Requests started at `rate` per second whatever the answers (the queue may grow)."""
    count = min(requests, max(1, int(rate * seconds)))
    start = time.perf_counter()
    tasks = []
    for index in range(count):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(client, model, inputs[index % len(inputs)])))
    return list(await asyncio.gather(*tasks))


def split(level: float, requests: int, workers: int, mode: str) -> list[tuple[float, int]]:
    """Each worker's share of a level and of its request count; workers with no share of a
    closed-loop concurrency are left out."""
    if mode == "closed":
        shares = [int(level) // workers + (i < int(level) % workers) for i in range(workers)]
    else:
        shares = [level / workers] * workers
    total = sum(shares)
    counts = [max(1, round(requests * s / total)) for s in shares]
    return [(s, n) for s, n in zip(shares, counts, strict=True) if s > 0]


class _Worker:
    """A connection and the examples it sends; `run` measures one share of a level."""

    def __init__(self, job: dict[str, Any]) -> None:
        import tritonclient.grpc as grpcclient
        import tritonclient.grpc.aio as aio

        shape = models.ModelShape(job["base_model"], tiny=job["tiny"])
        pool = models.example_inputs(shape, job["pool"], seed=job["seed"])
        self.job = job
        self.loop = asyncio.new_event_loop()
        self.inputs = request_inputs(grpcclient, pool)
        self.client = self.loop.run_until_complete(self._connect(aio))

    async def _connect(self, aio: Any) -> Any:
        return aio.InferenceServerClient(self.job["url"])

    def run(self, mode: str, share: float, requests: int, seconds: float) -> list[Result]:
        loop_fn = closed_loop if mode == "closed" else open_loop
        level = int(share) if mode == "closed" else share
        args = (self.client, self.job["model"], self.inputs, level, requests, seconds)
        return self.loop.run_until_complete(loop_fn(*args))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()


def _serve(job: dict[str, Any], conn: Any) -> None:
    """A worker process: connect, then answer each (mode, share, requests, seconds) with its
    results until None arrives."""
    worker = _Worker(job)
    conn.send("ready")
    try:
        while (task := conn.recv()) is not None:
            conn.send(worker.run(*task))
    finally:
        worker.close()


class WorkerPool:
    """`processes` workers (1: this process alone) that measure levels together."""

    def __init__(self, job: dict[str, Any], processes: int) -> None:
        self.local = _Worker(job) if processes == 1 else None
        self.pipes: list[Any] = []
        self.children: list[Any] = []
        if self.local is None:
            context = multiprocessing.get_context("spawn")  # no gRPC state crosses a fork
            for _ in range(processes):
                parent, child = context.Pipe()
                proc = context.Process(target=_serve, args=(job, child), daemon=True)
                proc.start()
                self.pipes.append(parent)
                self.children.append(proc)
            for pipe in self.pipes:
                pipe.recv()

    @property
    def size(self) -> int:
        return 1 if self.local is not None else len(self.pipes)

    def measure(self, mode: str, level: float, requests: int, seconds: float) -> list[Result]:
        """Every worker's share of one level, started together; the merged raw results."""
        shares = split(level, requests, self.size, mode)
        if self.local is not None:
            return self.local.run(mode, shares[0][0], shares[0][1], seconds)
        for pipe, (share, count) in zip(self.pipes, shares, strict=False):
            pipe.send((mode, share, count, seconds))
        results: list[Result] = []
        for pipe in self.pipes[: len(shares)]:
            results.extend(pipe.recv())
        return results

    def close(self) -> None:
        if self.local is not None:
            self.local.close()
        for pipe in self.pipes:
            pipe.send(None)
        for proc in self.children:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
