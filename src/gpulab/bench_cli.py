"""`gpulab bench NAME [--profile smoke|full] [--out DIR]`: run a benchmark, print its ratio."""

from __future__ import annotations

import argparse
from pathlib import Path

from gpulab import profiles
from gpulab.benchmarks import DEFAULT_OUT, available, run_benchmark


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="benchmark to run (omit with --list)")
    parser.add_argument("--profile", choices=profiles.NAMES, default=profiles.FULL)
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"report folder (default: {DEFAULT_OUT}; the committed GPU reports are in reports/bench/<gpu>/)",
    )
    parser.add_argument("--list", action="store_true", help="list registered benchmarks")


def run(args: argparse.Namespace) -> int:
    if args.list or not args.name:
        for name, doc in available().items():
            print(f"{name:14} {doc}")
        return 0 if args.list else 2
    report = run_benchmark(args.name, args.profile, args.out)
    ratio = report["ratio"]
    shown = f"ratio={ratio:.2f}" if ratio is not None else f"no ratio: {report['no_ratio_because']}"
    print(
        f"{report['benchmark']} on {report['device']}: {report['metric']} ours={report['ours']:.4g} "
        f"{report['peer']['name']}={report['peer']['value']:.4g} {shown} -> {report['path']}"
    )
    return 0
