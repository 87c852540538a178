"""GL401 unsynchronized-timing."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gpulab.qa.lint.gpu import uses_gpu
from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.timing import gpu_timed_regions, uses_cuda_events


class UnsynchronizedTiming(Rule):
    """Wall-clock timing of GPU work with no synchronisation before the clock is read again.

    ## What it does
    Finds timed regions (`t0 = time.perf_counter()` ... `time.perf_counter() - t0`, also
    `time.time`, `monotonic`, `timeit.default_timer`) that contain asynchronous GPU work (PyTorch
    ops on CUDA tensors or models, CuPy, a notebook function doing these, or a callable a
    benchmark helper was handed) when nothing after the last such op and before the second clock
    read waits for the GPU: `torch.cuda.synchronize()`, any `.synchronize()` (a CUDA event's
    too), a device-to-host read (`.item()`, `.cpu()`, `.numpy()`, `.tolist()`, `float(t)`,
    `cp.asnumpy`), printing a GPU tensor, or a notebook function or method that does one of these
    (`self.wait()` with `torch.cuda.synchronize()` inside). Code that times with CUDA events
    (`torch.cuda.Event`, `elapsed_time`) is left alone; cuDF/cuML calls return when done and need
    no sync. A value read back to the host (`epoch_loss += loss.item()`) is a plain number:
    using it later is not GPU work. A clock difference used only as a timestamp (a
    `{"timestamp": time.time() - t0}` sample of a monitoring timeline) is not a measurement.

    ## Why it matters
    CUDA kernels are queued and the Python call returns immediately. Without a sync the clock
    measures how long it took to *launch* the work, which is how a notebook reports a 1000x
    speed-up for a matmul that has not run yet.

    ## Example
    ```python
    start = time.perf_counter()
    c = a @ b
    elapsed = time.perf_counter() - start
    ```

    ## Fix
    ```python
    torch.cuda.synchronize()
    start = time.perf_counter()
    c = a @ b
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    ```
    or `gpulab.timing.benchmark(fn, warmup=3, repeats=10, device="cuda")`, which uses CUDA events.
    """

    code = "GL401"
    name = "unsynchronized-timing"
    severity = Severity.WARNING
    summary = "Wall-clock timing around CUDA work with no `synchronize()`/CUDA events"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        if not uses_gpu(notebook):
            return
        for region in gpu_timed_regions(notebook):
            if region.synchronized or uses_cuda_events(region.scope):
                continue
            last = max(region.async_ops, key=lambda op: (op.lineno, op.col_offset))  # type: ignore[attr-defined]
            yield self.finding(
                notebook,
                region.scope.cell,
                region.stop,
                f"the clock is read right after `{ast.unparse(last)[:50]}` (line "
                f"{region.scope.cell.line_of(last)}) with no `torch.cuda.synchronize()` in "
                "between: GPU work is asynchronous, so this times the launch, not the work",
            )
