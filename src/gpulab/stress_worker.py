"""The stress load itself: repeated matmuls with a numerical check, reported as JSON lines.

Started by `gpulab.stress.StressRun` (never by hand in a notebook): `python -m gpulab.stress_worker
--devices cuda:0 --dtype bf16 --size 8192 --duration 60`. One thread per device multiplies the same
two random matrices over and over. Every `check_every`-th product is compared with a reference
computed once at start in higher precision (fp32 for bf16/fp16, fp64 for fp32): a GPU that silently
corrupts data (a flipped bit, an overheating SM) yields elements outside the rounding tolerance and
is counted as a mismatch. Once per `interval` each device prints achieved TFLOPS, checks and
mismatches.

The worker stops after `duration` seconds of load, on SIGTERM/SIGINT, or when its parent goes away
(stdin reaches EOF or the parent PID changes), so a crashed notebook kernel never leaves it running.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
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


def run_device(
    device: str,
    label: int | None,
    args: argparse.Namespace,
    stop: threading.Event,
    ready: threading.Event,
    emit: Emit,
) -> None:
    """Load one device until `stop` is set, emitting one report per interval."""
    import torch

    base = {"device": device, "gpu": label}
    try:
        if device.startswith("cuda"):
            torch.cuda.set_device(device)
        dtype = torch_dtype(args.dtype)
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32 here
        generator = torch.Generator(device=device).manual_seed(args.seed)
        a = torch.randn(args.size, args.size, generator=generator, device=device, dtype=dtype)
        b = torch.randn(args.size, args.size, generator=generator, device=device, dtype=dtype)
        c = torch.empty_like(a)
        reference = reference_product(a, b)
        tol = tolerance(reference, dtype, args.size)
        for _ in range(3):  # kernel selection and clocks, before the clock starts
            torch.matmul(a, b, out=c)
        _sync(torch, device)
    except Exception as err:
        emit({**base, "event": "error", "message": f"{type(err).__name__}: {err}"})
        ready.set()
        return
    emit({**base, "event": "ready", "t": time.monotonic()})
    ready.set()

    flops = 2 * args.size**3
    zero = torch.zeros((), device=device)
    iterations = checks = total_checks = 0
    mismatches, worst = zero.long(), zero.float()
    in_flight: deque[Any] = deque()
    last = time.perf_counter()
    while not stop.is_set():
        torch.matmul(a, b, out=c)
        iterations += 1
        if iterations % args.check_every == 0:
            checks += 1
            total_checks += 1
            if total_checks == args.inject_error_at_check:
                c.view(-1)[0] += 1000 * float(tol.view(-1)[0])  # self-test: a corrupted element
            bad, ratio = count_mismatches(c, reference, tol)
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
            emit(
                {
                    **base,
                    "event": "interval",
                    "t": time.monotonic(),
                    "seconds": now - last,
                    "iterations": iterations,
                    "tflops": iterations * flops / (now - last) / 1e12,
                    "checks": checks,
                    "mismatches": int(mismatches.item()),
                    "worst_error_ratio": float(worst.item()) if checks else None,
                }
            )
            iterations = checks = 0
            mismatches, worst = zero.long(), zero.float()
            last = now


def _sync(torch: Any, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def _watch_parent(parent_pid: int, stop: threading.Event, why: dict[str, str]) -> None:
    """Stop when the parent dies: its end of our stdin closes (EOF) or we are re-parented."""

    def read_stdin() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        why.setdefault("reason", "parent-gone")
        stop.set()

    def poll_ppid() -> None:
        while not stop.wait(0.5):
            if os.getppid() != parent_pid:
                why.setdefault("reason", "parent-gone")
                stop.set()

    threading.Thread(target=read_stdin, daemon=True).start()
    threading.Thread(target=poll_ppid, daemon=True).start()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m gpulab.stress_worker")
    parser.add_argument("--devices", default="cpu", help="comma-separated: cuda:0,cuda:1 or cpu")
    parser.add_argument("--labels", default="", help="NVML GPU index reported for each device")
    parser.add_argument("--dtype", choices=("bf16", "fp16", "fp32"), default="bf16")
    parser.add_argument("--size", type=int, default=8192)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between reports")
    parser.add_argument("--check-every", type=int, default=32, help="check every Nth product")
    parser.add_argument("--cpu-threads", type=int, default=1, help="torch threads on CPU")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when it goes away")
    parser.add_argument(
        "--inject-error-at-check",
        type=int,
        default=0,
        help="self-test: corrupt one element before this (1-based) check on every device",
    )
    args = parser.parse_args(argv)
    if args.size < 1 or args.duration <= 0 or args.interval <= 0 or args.check_every < 1:
        parser.error("size, duration, interval and check-every must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import torch

    torch.set_num_threads(args.cpu_threads)
    stop = threading.Event()
    why: dict[str, str] = {}
    lock = threading.Lock()

    def emit(record: dict[str, Any]) -> None:
        with lock:
            try:
                print(json.dumps(record), flush=True)
            except (BrokenPipeError, OSError):  # nobody is reading: the parent is gone
                why.setdefault("reason", "parent-gone")
                stop.set()

    def on_signal(signum: int, _frame: object) -> None:
        why.setdefault("reason", "stopped")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.parent_pid:
        _watch_parent(args.parent_pid, stop, why)

    devices = [d.strip() for d in args.devices.split(",") if d.strip()]
    labels = [int(x) for x in args.labels.split(",") if x.strip()] or [None] * len(devices)
    emit({"event": "start", "pid": os.getpid(), "pgid": os.getpgrp(), "devices": devices})
    readies = [threading.Event() for _ in devices]
    threads = [
        threading.Thread(
            target=run_device, args=(device, label, args, stop, ready, emit), daemon=True
        )
        for device, label, ready in zip(devices, labels, readies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for ready in readies:
        while not ready.wait(0.2) and not stop.is_set():
            pass
    started = time.monotonic()
    while not stop.wait(0.2):
        if time.monotonic() - started >= args.duration:
            why.setdefault("reason", "duration")
        elif not any(thread.is_alive() for thread in threads):
            why.setdefault("reason", "error")  # every device failed: nothing left to run
        else:
            continue
        stop.set()
    for thread in threads:
        thread.join(timeout=30)
    emit(
        {
            "event": "done",
            "reason": why.get("reason", "duration"),
            "load_seconds": time.monotonic() - started,
        }
    )
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # os._exit: the stdin watcher is blocked in read(), which would abort a normal shutdown.
    os._exit(code)
