"""`gpulab monitor`: NVML telemetry in the terminal (a small `nvidia-smi dmon`)."""

from __future__ import annotations

import argparse
import json
import time

from gpulab import nvml
from gpulab.errors import UsageError
from gpulab.telemetry import TelemetrySampler


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds to watch (0: until Ctrl-C)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per sample")


def run(args: argparse.Namespace) -> int:
    if args.interval <= 0:
        raise UsageError(f"--interval must be positive, got {args.interval}")
    if not nvml.ensure():
        raise UsageError(f"telemetry needs NVML: {nvml.error()}")
    sampler = TelemetrySampler(interval_s=args.interval).start()
    start = time.monotonic()
    printed = 0
    if not args.json:
        print(" gpu  util%  mem%   mem MiB   temp C  power W  SM MHz  throttle")
    try:
        while args.duration <= 0 or time.monotonic() - start < args.duration:
            time.sleep(args.interval / 2)
            rows = sampler.samples()
            for sample in rows[printed:]:
                if args.json:
                    print(json.dumps(sample.to_dict()), flush=True)
                else:
                    print(
                        f" {sample.gpu:>3}  {sample.utilization_pct:>5.0f} {sample.memory_utilization_pct:>5.0f}"
                        f"  {sample.memory_used_mib:>8.0f}  {sample.temperature_c:>7.0f}  {sample.power_w:>7.1f}"
                        f"  {sample.sm_clock_mhz:>6.0f}  {','.join(sample.throttle_reasons) or '-'}",
                        flush=True,
                    )
            printed = len(rows)
    except KeyboardInterrupt:
        pass
    finally:
        sampler.stop()
    return 0
