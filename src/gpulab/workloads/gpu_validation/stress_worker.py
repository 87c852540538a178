"""The stress worker's entry point: parse the settings, load every device, stop exactly.

Started by `gpulab.workloads.gpu_validation.stress.StressRun` (never by hand in a notebook):
`python -m gpulab.workloads.gpu_validation.stress_worker --devices cuda:0 --dtype bf16 --size 8192
--duration 60`. One thread per device runs `stress_load.run_device`; every report is one JSON line
on stdout.

The worker stops after `duration` seconds of load, on SIGTERM/SIGINT, or when its parent goes away
(stdin reaches EOF or the parent PID changes), so a crashed notebook kernel never leaves it running.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from gpulab.workloads.gpu_validation.config import STRESS_DTYPES
from gpulab.workloads.gpu_validation.stress_load import run_device


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
    parser = argparse.ArgumentParser(prog="python -m gpulab.workloads.gpu_validation.stress_worker")
    parser.add_argument("--devices", default="cpu", help="comma-separated: cuda:0,cuda:1 or cpu")
    parser.add_argument("--labels", default="", help="NVML GPU index reported for each device")
    parser.add_argument("--dtype", choices=STRESS_DTYPES, default="bf16")
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


def _run(
    threads: list[threading.Thread],
    readies: list[threading.Event],
    stop: threading.Event,
    why: dict[str, str],
    duration_s: float,
) -> float:
    """Start the device threads, let every device get ready, load for `duration_s` (or until a
    stop or every device failing), join them; the seconds of load."""
    for thread in threads:
        thread.start()
    for ready in readies:
        while not ready.wait(0.2) and not stop.is_set():
            pass
    started = time.monotonic()
    while not stop.wait(0.2):
        if time.monotonic() - started >= duration_s:
            why.setdefault("reason", "duration")
        elif not any(thread.is_alive() for thread in threads):
            why.setdefault("reason", "error")  # every device failed: nothing left to run
        else:
            continue
        stop.set()
    for thread in threads:
        thread.join(timeout=30)
    return time.monotonic() - started


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
    load_seconds = _run(threads, readies, stop, why, args.duration)
    emit({"event": "done", "reason": why.get("reason", "duration"), "load_seconds": load_seconds})
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # os._exit: the stdin watcher is blocked in read(), which would abort a normal shutdown.
    os._exit(code)
