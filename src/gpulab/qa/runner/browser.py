"""Open a notebook the way a user does: `marimo run` on localhost, Debian's Chromium via Playwright.

Headless execution proves the cells run; it does not prove the page shows them. This check
records the time to first render, saves a screenshot, fails on cell errors the page or the server
reports, and can press a run button and wait for the result (a chart) to appear.

The server binds 127.0.0.1 with a random token read from a 0600 file (never argv, never logged
by us). Chromium is the distribution's (`apt-get install chromium`); Playwright never downloads
one. Its flags keep it off the network: the CI and GPU hosts have none.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpulab.errors import MissingDependencyError, UsageError

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What marimo draws for a chart: vega-embed (altair, mo.ui.altair_chart) or plotly.
CHART_SELECTOR = ".vega-embed, .js-plotly-plot"
FIRST_OUTPUT = "[data-cell-id] .output-area"
# Read-mode toasts ("An internal error occurred") and error outputs are styled "destructive";
# so are buttons of kind="danger" (a Stop button is not an error).
ERROR_SELECTOR = (
    "[data-radix-collection-item][class*='destructive'], "
    "[data-cell-id] [class*='destructive']:not(button)"
)
# marimo forwards each cell error to the browser console as `[STDERR] ... {"type": ...}`.
_CONSOLE_ERROR = re.compile(r'\{"type":\s*"([a-z-]+)".*')
_NOT_ERRORS = {"ancestor-stopped"}  # a closed run gate, not a failure
_SERVER_ERROR = re.compile(r"Traceback \(most recent call last\)|^\[E \d", re.MULTILINE)


@dataclass
class BrowserResult:
    """What one page load showed."""

    first_render_s: float | None = None
    screenshot: str | None = None
    click_s: float | None = None  # from the click to the result element, when asked
    errors: list[str] = field(default_factory=list)


def chromium_path() -> str:
    """Debian's Chromium (or GPULAB_CHROMIUM); a clear error where it is missing."""
    path = os.environ.get("GPULAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise UsageError(
            "Chromium not found for the browser check; install it with `apt-get install -y "
            "chromium` or set GPULAB_CHROMIUM"
        )
    return path


def ensure_available() -> None:
    """Fail fast, before any notebook runs, where Playwright or Chromium is missing."""
    sync_playwright_or_hint()
    chromium_path()


def sync_playwright_or_hint() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise MissingDependencyError(
            "playwright", "pip install 'gpulab[browser]'", "the browser check"
        ) from None
    return sync_playwright


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(server: subprocess.Popen[bytes], port: int, deadline: float) -> str | None:
    """None once the server answers /health; otherwise why not."""
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return f"marimo run exited with status {server.returncode} before serving"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as reply:
                if reply.status == 200:
                    return None
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    return "marimo run did not answer within the timeout"


_QUIET_JS = """(quietMs) => new Promise((resolve) => {
  let timer;
  const done = () => { observer.disconnect(); resolve(true); };
  const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quietMs); });
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  timer = setTimeout(done, quietMs);
})"""


def _settle(page: Any, quiet_ms: int, cap_s: float) -> None:
    """Wait until the page stops changing (cells finished), at most `cap_s` (live monitors)."""
    cap = f"new Promise((resolve) => setTimeout(resolve, {int(cap_s * 1000)}))"
    with contextlib.suppress(Exception):  # a page that navigated away: nothing to wait for
        page.evaluate(f"Promise.race([({_QUIET_JS})({quiet_ms}), {cap}])")


def console_error(text: str) -> str | None:
    if "[STDERR]" not in text:
        return None
    match = _CONSOLE_ERROR.search(text)
    if not match or match.group(1) in _NOT_ERRORS:
        return None
    try:
        payload = json.loads(match.group(0))
        return f"cell error in page ({payload.get('type')}): {payload.get('msg', '')}"[:300]
    except ValueError:
        return f"cell error in page: {match.group(0)[:200]}"


def check_notebook(
    notebook: Path,
    screenshot: Path,
    *,
    click: str | None = None,
    wait_for: str = CHART_SELECTOR,
    args: Sequence[str] = (),
    timeout: float = 60.0,
) -> BrowserResult:
    """Serve `notebook` with `marimo run`, load it in Chromium, and report what the page showed.

    `click`: the label of a button to press after the first render; then `wait_for` must appear.
    `args` go to the notebook (mo.cli_args()); none by default, as for a user opening it.
    """
    sync_playwright = sync_playwright_or_hint()
    executable = chromium_path()
    result = BrowserResult()
    port = free_port()
    token = secrets.token_urlsafe(18)
    with tempfile.TemporaryDirectory(prefix="gpulab-browser-") as tmp:
        token_file = Path(tmp) / "token"
        token_file.write_text(token)
        token_file.chmod(0o600)
        log_path = Path(tmp) / "server.log"
        command = [sys.executable, "-m", "marimo", "run", str(notebook), "--headless"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--no-sandbox"]
        command += ["--token-password-file", str(token_file)]
        if args:
            command += ["--", *args]
        env = {**os.environ, "MARIMO_SKIP_UPDATE_CHECK": "1"}
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        try:
            problem = wait_healthy(server, port, deadline)
            if problem:
                result.errors.append(problem)
            else:
                url = f"http://127.0.0.1:{port}/?access_token={token}"
                try:
                    _drive(
                        sync_playwright,
                        executable,
                        url,
                        screenshot,
                        click,
                        wait_for,
                        deadline,
                        result,
                    )
                except Exception as err:  # Playwright: navigation timeout, browser crash
                    message = str(err).replace(token, "***").splitlines()[0][:300]
                    result.errors.append(f"browser: {type(err).__name__}: {message}")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            log_text = log_path.read_text(encoding="utf-8", errors="replace").replace(token, "***")
        if match := _SERVER_ERROR.search(log_text):
            lines = [line.strip() for line in log_text[match.start() :].splitlines()]
            result.errors.append("server log: " + " | ".join(filter(None, lines))[:600])
        elif result.errors and server.returncode not in (None, -signal.SIGKILL):
            result.errors.append("server log: " + log_text.strip()[-600:])
    return result


def _drive(
    sync_playwright: Any,
    executable: str,
    url: str,
    screenshot: Path,
    click: str | None,
    wait_for: str,
    deadline: float,
    result: BrowserResult,
) -> None:
    def remaining_ms() -> float:
        return max(1000.0, (deadline - time.monotonic()) * 1000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda err: result.errors.append(f"page error: {err}"[:300]))
            page.on(
                "console",
                lambda message: (
                    (found := console_error(message.text)) and result.errors.append(found)
                ),
            )
            start = time.monotonic()
            page.goto(url, timeout=remaining_ms())
            try:
                page.wait_for_selector(FIRST_OUTPUT, state="attached", timeout=remaining_ms())
                result.first_render_s = round(time.monotonic() - start, 2)
            except Exception:
                result.errors.append("no cell output rendered before the timeout")
            _settle(page, quiet_ms=750, cap_s=10)
            if click and result.first_render_s is not None:
                if page.locator(wait_for).count():
                    result.errors.append(f"{wait_for} was shown before clicking {click!r}")
                button = page.locator("button", has_text=click).first
                try:
                    button.click(timeout=remaining_ms())
                    clicked = time.monotonic()
                    page.wait_for_selector(wait_for, state="visible", timeout=remaining_ms())
                    result.click_s = round(time.monotonic() - clicked, 2)
                except Exception as err:
                    result.errors.append(
                        f"after clicking {click!r}: {wait_for} did not appear ({type(err).__name__})"
                    )
                _settle(page, quiet_ms=750, cap_s=10)
            for text in page.locator(ERROR_SELECTOR).all_inner_texts():
                result.errors.append(f"error shown in page: {' '.join(text.split())}"[:300])
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            result.screenshot = str(screenshot)
        finally:
            browser.close()
