"""`gpulab test`: run notebooks headless, one process group each, and write a merged report.

    gpulab test [PATHS] --profile smoke|full [--timeout S] [--report DIR] [--browser]
                [--memory-budget 22GiB]

Every cell runs with the profile's CLI args (see gpulab.profiles.NOTEBOOK_ARGS), so run-button gates open.
Exit 0 when nothing failed or timed out, 1 otherwise, 2 for bad input.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections import Counter
from pathlib import Path

from gpulab import memory_budget, profiles
from gpulab.errors import UsageError
from gpulab.qa.discovery import discover
from gpulab.qa.runner import report
from gpulab.qa.runner.execute import NotebookResult, run_notebook, slug
from gpulab.qa.runner.outcome import FAIL, PASS, SKIPPED, TIMEOUT, CellError

DEFAULT_TIMEOUT = {"smoke": 600.0, "full": 3600.0}


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: must be positive")
    return value


def _notebook_arg(text: str) -> str:
    """argparse type for --arg KEY=VALUE: becomes the notebook argument `--KEY=VALUE`."""
    key, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z][\w-]*", key) or key in {"profile", "smoke"}:
        raise argparse.ArgumentTypeError(
            f"invalid --arg {text!r}: expected KEY=VALUE (KEY a name other than profile/smoke)"
        )
    return f"--{key}={value}"


def _budget(text: str) -> int:
    try:
        return memory_budget.parse_size(text)
    except UsageError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="notebooks or folders of notebooks (default: notebooks/)",
    )
    parser.add_argument("--profile", choices=profiles.NAMES, default=profiles.SMOKE)
    parser.add_argument(
        "--timeout",
        type=_seconds,
        help="seconds per notebook before its process group is killed "
        "(default: 600 for smoke, 3600 for full)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=Path("reports/test-local"),
        help="folder for report.json, report.md, logs and screenshots (merged across runs)",
    )
    parser.add_argument(
        "--arg",
        dest="notebook_args",
        type=_notebook_arg,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra notebook argument, e.g. --arg model=random:smollm2-135m (repeatable)",
    )
    parser.add_argument(
        "--memory-budget",
        type=_budget,
        metavar="SIZE",
        help="cap each notebook's GPU memory, e.g. 22GiB to stand in for a 24 GiB card "
        f"(sets ${memory_budget.ENV_VAR}; notebooks size themselves from it)",
    )
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also open each notebook with `marimo run` in headless Chromium: first-render "
        "time, screenshot, no cell error in the page or server log",
    )


def find_notebooks(paths: list[Path]) -> list[Path]:
    """Named files must be notebooks; folders contribute the notebooks in them (recursively)."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        notebooks = [file.path for file in discover([path]) if file.notebook]
        if path.is_dir() and not notebooks:
            raise UsageError(f"{path}: no marimo notebooks in this folder")
        if not notebooks:
            raise UsageError(f"{path}: not a marimo notebook (no `app = marimo.App(...)`)")
        found += notebooks
    return list(dict.fromkeys(found))


def _label(path: Path) -> str:
    """Path as the report shows it: relative to the current folder when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _device() -> str:
    """The report's column name. No NVML means no GPU: skip probe(), which imports torch."""
    from gpulab import nvml

    if not nvml.ensure():
        return "cpu"
    from gpulab.device import probe

    return probe(use_torch=False).device_label


def _gpu_total_bytes() -> int | None:
    """The first GPU's memory from NVML (no CUDA context in the runner), None without a GPU."""
    from gpulab import nvml

    if not nvml.ensure() or nvml.device_count() == 0:
        return None
    return int(nvml.module().nvmlDeviceGetMemoryInfo(nvml.handle(0)).total)


def budget_for_run(requested: int | None) -> tuple[int | None, str]:
    """The budget (bytes) and the column suffix, refusing a budget larger than the GPU."""
    size = requested if requested is not None else memory_budget.requested()
    if size is None:
        return None, ""
    total = _gpu_total_bytes()
    if total is not None and size > total:
        raise UsageError(
            f"--memory-budget {memory_budget.format_size(size)} is larger than this GPU "
            f"({memory_budget.format_size(total)})"
        )
    suffix = f" as {memory_budget.card_class(size)} (budget {memory_budget.format_size(size)})"
    return size, suffix


def _line(result: NotebookResult) -> str:
    figures = f"{result.seconds:7.1f}s"
    if result.peak_gpu_mib is not None:
        figures += f"  {result.peak_gpu_mib:8.0f} MiB"
    if result.memory_budget_mib is not None:
        figures += f" of {result.memory_budget_mib:.0f} MiB budget"
    if result.first_render_s is not None:
        figures += f"  render {result.first_render_s:.1f}s"
    text = f"{result.status.upper():8} {figures}  {result.notebook}"
    if result.error:
        where = f"{result.error.cell}: " if result.error.cell else ""
        message = " ".join(result.error.message.split())[:200]
        text += f"\n         {where}{result.error.type}: {message}"
    elif result.reason:
        text += f"\n         {' '.join(result.reason.split())[:200]}"
    return text


def _browser_check(path: Path, result: NotebookResult, report_dir: Path) -> None:
    from gpulab.qa.runner.browser import check_notebook

    name = f"{slug(result.notebook)}.{slug(result.device)}.png"
    seen = check_notebook(path, report_dir / "screenshots" / name)
    result.first_render_s = seen.first_render_s
    if seen.screenshot:
        result.screenshot = os.path.relpath(seen.screenshot, report_dir)
    if seen.errors and result.status in (PASS, SKIPPED):
        result.status = FAIL
        result.error = CellError(None, "BrowserCheck", "; ".join(seen.errors))


def run(args: argparse.Namespace) -> int:
    notebooks = find_notebooks(args.paths or [Path("notebooks")])
    report.load(args.report)  # refuse a foreign report.json before spending any time
    if args.browser:
        from gpulab.qa.runner.browser import ensure_available

        ensure_available()
    timeout = args.timeout or DEFAULT_TIMEOUT[args.profile]
    budget, suffix = budget_for_run(args.memory_budget)
    device = _device() + suffix
    print(f"gpulab test: {len(notebooks)} notebook(s), profile {args.profile}, on {device}")
    results: list[NotebookResult] = []
    start = time.monotonic()
    for path in notebooks:
        result = run_notebook(
            path,
            profile=args.profile,
            timeout=timeout,
            device=device,
            label=_label(path),
            log_dir=args.report / "logs",
            extra_args=tuple(args.notebook_args),
            memory_budget=budget,
        )
        if result.log:
            result.log = os.path.relpath(result.log, args.report)
        if args.browser:
            _browser_check(path, result, args.report)
        print(_line(result), flush=True)
        results.append(result)
    report.write(args.report, [result.to_dict() for result in results])
    counts = Counter(result.status for result in results)
    print(f"report: {args.report / report.REPORT_MD}")
    print(
        f"{counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIPPED]} skipped, "
        f"{counts[TIMEOUT]} timeout in {time.monotonic() - start:.1f}s"
    )
    return 1 if counts[FAIL] or counts[TIMEOUT] else 0
