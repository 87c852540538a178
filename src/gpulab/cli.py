"""`gpulab` command line: doctor, serve, monitor, bench, lint, test, new.

Every subcommand lives in the module that owns the concept; this file only wires them. Bad input
is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from gpulab.errors import UsageError

# name -> (module exposing add_arguments(parser) and run(args) -> int, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "doctor": (
        "gpulab.doctor",
        "report GPUs, driver, CUDA, torch, NVML, marimo and optional libraries",
    ),
    "serve": ("gpulab.serve", "start a token-protected marimo server over the notebooks"),
    "monitor": (
        "gpulab.telemetry_cli",
        "print live NVML telemetry (utilisation, memory, power...)",
    ),
    "bench": (
        "gpulab.bench_cli",
        "run a registered benchmark against its peer and write its JSON report",
    ),
    "lint": ("gpulab.qa.lint.cli", "check marimo notebooks against GPU/marimo best-practice rules"),
    "test": ("gpulab.qa.runner.cli", "run notebooks headless, one subprocess each, and report"),
    "new": ("gpulab.template", "write a new notebook from the gpulab template"),
    "deploy": ("gpulab.deploy.cli", "write a Modal app, systemd unit or Dockerfile, token on"),
}


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we promise one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="gpulab", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_run=module.run)
    return parser


def _version() -> str:
    from gpulab import __version__

    return f"gpulab {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except UsageError as err:
        print(f"gpulab {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
