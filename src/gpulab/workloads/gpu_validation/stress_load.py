"""The load one device runs in the stress worker: repeated matmuls with a numerical check.

The device multiplies the same two random matrices over and over. Every `check_every`-th product
is compared with a reference computed once at start in higher precision (fp32 for bf16/fp16, fp64
for fp32): a GPU that silently corrupts data (a flipped bit, an overheating SM) yields elements
outside the rounding tolerance and is counted as a mismatch. Once per `interval` the device
reports achieved TFLOPS, checks and mismatches. torch is imported inside the functions: only the
worker process runs them.
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

IN_FLIGHT = 8  # products queued on a GPU ahead of the CPU: enough to never let it idle
Emit = Callable[[dict[str, Any]], None]


def torch_dtype(name: str) -> Any:
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[name]


def reference_product(a: Any, b: Any) -> Any:
    """a @ b in more precision than a and b: fp64 for fp32 inputs, else fp32 (TF32 off)."""
    import torch

    wide = torch.float64 if a.dtype == torch.float32 else torch.float32
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        return a.to(wide) @ b.to(wide)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


def tolerance(reference: Any, dtype: Any, k: int) -> Any:
    """Per-element bound on |product - reference| for a healthy device.

    Two terms: rounding the output to `dtype` (a few units in the last place of the value, and of
    sqrt(k), the typical magnitude of a sum of k products of unit-normal numbers, which bounds
    the rounding of partial sums), plus fp32 accumulation error growing with the k summed terms.
    """
    import torch

    eps = torch.finfo(dtype).eps
    eps32 = torch.finfo(torch.float32).eps
    return 4 * eps * (reference.abs() + math.sqrt(k)) + 4 * eps32 * k


def count_mismatches(product: Any, reference: Any, tol: Any) -> tuple[Any, Any]:
    """(elements outside tolerance, worst |error| / tolerance) as 0-d tensors (no device sync)."""
    ratio = (product.to(reference.dtype) - reference).abs_().div_(tol)
    return (ratio > 1).sum(), ratio.max()


@dataclass
class Operands:
    """What one device multiplies (a @ b into c) and checks the product against."""

    a: Any
    b: Any
    c: Any
    reference: Any
    tol: Any


def prepare(device: str, args: argparse.Namespace) -> Operands:
    """Random operands and their reference on `device`, warmed up before the clock starts."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.set_device(device)
    dtype = torch_dtype(args.dtype)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32 here
    generator = torch.Generator(device=device).manual_seed(args.seed)
    a = torch.randn(args.size, args.size, generator=generator, device=device, dtype=dtype)
    b = torch.randn(args.size, args.size, generator=generator, device=device, dtype=dtype)
    reference = reference_product(a, b)
    operands = Operands(
        a, b, torch.empty_like(a), reference, tolerance(reference, dtype, args.size)
    )
    for _ in range(3):  # kernel selection and clocks, before the clock starts
        torch.matmul(a, b, out=operands.c)
    _sync(torch, device)
    return operands


def run_device(
    device: str,
    label: int | None,
    args: argparse.Namespace,
    stop: threading.Event,
    ready: threading.Event,
    emit: Emit,
) -> None:
    """Load one device until `stop` is set, emitting one report per interval."""
    base = {"device": device, "gpu": label}
    try:
        operands = prepare(device, args)
    except Exception as err:
        emit({**base, "event": "error", "message": f"{type(err).__name__}: {err}"})
        ready.set()
        return
    emit({**base, "event": "ready", "t": time.monotonic()})
    ready.set()
    _load(device, operands, args, stop, lambda report: emit({**base, **report}))


def _load(
    device: str, ops: Operands, args: argparse.Namespace, stop: threading.Event, emit: Emit
) -> None:
    """The loop: multiply, check every `check_every`-th product, report once per interval."""
    import torch

    flops = 2 * args.size**3
    zero = torch.zeros((), device=device)
    iterations = checks = total_checks = 0
    mismatches, worst = zero.long(), zero.float()
    in_flight: deque[Any] = deque()
    last = time.perf_counter()
    while not stop.is_set():
        torch.matmul(ops.a, ops.b, out=ops.c)
        iterations += 1
        if iterations % args.check_every == 0:
            checks += 1
            total_checks += 1
            if total_checks == args.inject_error_at_check:
                ops.c.view(-1)[0] += 1000 * float(ops.tol.view(-1)[0])  # self-test: a bad element
            bad, ratio = count_mismatches(ops.c, ops.reference, ops.tol)
            mismatches += bad
            worst = torch.maximum(worst, ratio)
        if device.startswith("cuda"):
            # Bound the queue with events instead of letting the launch block with the GIL held.
            event = torch.cuda.Event()
            event.record()
            in_flight.append(event)
            if len(in_flight) > IN_FLIGHT:
                in_flight.popleft().synchronize()
        now = time.perf_counter()
        if now - last >= args.interval or stop.is_set():
            _sync(torch, device)
            now = time.perf_counter()
            emit(_interval_report(now - last, iterations, flops, checks, mismatches, worst))
            iterations = checks = 0
            mismatches, worst = zero.long(), zero.float()
            last = now


def _interval_report(
    seconds: float, iterations: int, flops: int, checks: int, mismatches: Any, worst: Any
) -> dict[str, Any]:
    """One interval's report: the counters stay 0-d device tensors until here, so checking
    a product never waits for the GPU."""
    return {
        "event": "interval",
        "t": time.monotonic(),
        "seconds": seconds,
        "iterations": iterations,
        "tflops": iterations * flops / seconds / 1e12,
        "checks": checks,
        "mismatches": int(mismatches.item()),
        "worst_error_ratio": float(worst.item()) if checks else None,
    }


def _sync(torch: Any, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)
