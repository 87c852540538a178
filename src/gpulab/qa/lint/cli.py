"""`gpulab lint`: check marimo notebooks against gpulab's rules and marimo's own diagnostics."""

from __future__ import annotations

import argparse
import sys

from gpulab.errors import UsageError
from gpulab.qa.lint import docs, formatters, registry
from gpulab.qa.lint.engine import LintOptions, lint_paths
from gpulab.qa.lint.marimo_adapter import MarimoChangedError

DEFAULT_FOLDER = "notebooks"


def _codes(values: list[str] | None) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=f"notebook files or folders (default: {DEFAULT_FOLDER}/)",
    )
    parser.add_argument(
        "--format", choices=formatters.FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--select",
        action="append",
        metavar="RULES",
        help="only these rules: codes, names, prefixes or ALL (comma-separated; replaces config)",
    )
    parser.add_argument(
        "--ignore", action="append", metavar="RULES", help="skip these rules (adds to config)"
    )
    parser.add_argument(
        "--no-config", action="store_true", help="ignore [tool.gpulab.lint] in pyproject.toml"
    )
    parser.add_argument("--explain", metavar="RULE", help="print a rule's documentation and exit")
    parser.add_argument("--list-rules", action="store_true", help="list every rule and exit")
    parser.add_argument(
        "--docs", action="store_true", help="print docs/lint-rules.md (generated) and exit"
    )


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except MarimoChangedError as err:
        raise UsageError(str(err)) from err


def _run(args: argparse.Namespace) -> int:
    if args.explain:
        info = registry.find_rule(args.explain)
        if info is None:
            raise UsageError(
                f"unknown rule {args.explain!r}; `gpulab lint --list-rules` lists codes and names"
            )
        sys.stdout.write(docs.explain(info))
        return 0
    if args.list_rules:
        print(docs.list_rules())
        return 0
    if args.docs:
        sys.stdout.write(docs.generate_markdown())
        return 0
    options = LintOptions(
        select=_codes(args.select) or None,
        ignore=_codes(args.ignore),
        use_config=not args.no_config,
    )
    paths = args.paths or [_default_folder()]
    report = lint_paths(paths, options)
    print(formatters.render(report, args.format))
    if report.notebooks == 0 and not report.findings:
        shown = ", ".join(str(path) for path in paths)
        print(f"gpulab lint: warning: no marimo notebooks found in {shown}", file=sys.stderr)
        return 2
    return 1 if report.errors else 0


def _default_folder() -> str:
    """`notebooks/` in the current folder, where `gpulab lint` with no path looks."""
    from pathlib import Path

    if not Path(DEFAULT_FOLDER).is_dir():
        raise UsageError(
            f"no path given and no {DEFAULT_FOLDER}/ folder here: give a notebook or a folder"
        )
    return DEFAULT_FOLDER
