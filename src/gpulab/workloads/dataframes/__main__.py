"""`python -m gpulab.workloads.dataframes --worker REQUEST_JSON`: one engine in a worker process."""

from __future__ import annotations

import argparse
import sys

from gpulab.workloads.dataframes.worker import worker_main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gpulab.workloads.dataframes",
        description="GPU dataframes: run one engine of the suite in a worker process.",
    )
    parser.add_argument("--worker", metavar="REQUEST_JSON", help="run one engine (internal)")
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
