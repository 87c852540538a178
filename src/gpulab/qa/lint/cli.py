"""`gpulab lint`: check marimo notebooks against gpulab's rules and marimo's own diagnostics."""

from __future__ import annotations

import argparse
import sys

from gpulab.errors import UsageError
from gpulab.qa.lint import docs, formatters, registry
from gpulab.qa.lint.engine import LintOptions, lint_paths
from gpulab.qa.lint.marimo_adapter import MarimoChangedError


def _codes(values: list[str] | None) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="notebook files or folders")
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
    report = lint_paths(args.paths, options)
    print(formatters.render(report, args.format))
    return 1 if report.errors else 0
