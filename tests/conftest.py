"""Suite-wide hooks: CI prints the suite's wall time and every notebook's first-render time.

Figures, not asserts: they show drift between runs without failing on a slow CI machine. A test
records a render time with the `render_times` fixture: render_times["notebooks/x.py"] = seconds.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from gpulab.errors import UsageError

# Without an NVIDIA GPU, Triton kernels (the NeRF hash encoding) run through Triton's CPU
# interpreter, which must be chosen before anything first imports triton (torch may, early).
if shutil.which("nvidia-smi") is None and not os.path.exists("/dev/nvidia0"):
    os.environ.setdefault("TRITON_INTERPRET", "1")

_RENDER_TIMES = pytest.StashKey[dict[str, float | None]]()
_STARTED = pytest.StashKey[float]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RENDER_TIMES] = {}
    config.stash[_STARTED] = time.monotonic()


@pytest.fixture
def render_times(request: pytest.FixtureRequest) -> dict[str, float | None]:
    """Notebook -> seconds to first render in Chromium (None: it never rendered)."""
    return request.config.stash[_RENDER_TIMES]


@pytest.fixture
def browser_ready() -> None:
    """Skip a browser test where Chromium or Playwright is missing; in CI, fail instead."""
    from gpulab.qa.runner.browser import ensure_available

    try:
        ensure_available()
    except UsageError as err:  # MissingDependencyError is one too
        if os.environ.get("CI"):
            pytest.fail(f"browser check cannot run in CI: {err}")
        pytest.skip(str(err))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    reporter = terminalreporter
    browser_skips = [
        report
        for report in reporter.stats.get("skipped", [])
        if "browser" in getattr(report, "keywords", {})
    ]
    if browser_skips:
        reporter.section("BROWSER TESTS SKIPPED", sep="!", red=True, bold=True)
        reporter.write_line(
            f"{len(browser_skips)} browser tests skipped: install chromium "
            "(apt-get install -y chromium) and gpulab[browser] to run them",
            red=True,
            bold=True,
        )
    reporter.section("timings")
    reporter.write_line(f"suite total: {time.monotonic() - config.stash[_STARTED]:.1f} s")
    times = config.stash[_RENDER_TIMES]
    if not times:
        reporter.write_line("first render: no browser test ran")
    for notebook, seconds in sorted(times.items()):
        shown = "did not render" if seconds is None else f"{seconds:.2f} s"
        reporter.write_line(f"first render {notebook}: {shown}")
