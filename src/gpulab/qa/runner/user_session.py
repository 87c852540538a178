"""Use a notebook the way a new user does, in Chromium, and report what went wrong for them.

`gpulab serve` (edit mode, the machine's default profile) over a copy of the notebook; the page
opens at 1280 px; the cheap cells must have run on open and the header must name the profile;
every run button is pressed in page order and must finish within its time; nothing on the page
may be clipped (charts, tables, text fields, truncated legend labels); saving in the editor must
leave the file exactly as it was. The copy lives in a temporary folder: the repository is never
written to.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpulab.qa.runner.browser import (
    CHROMIUM_FLAGS,
    ERROR_SELECTOR,
    chromium_path,
    console_error,
    free_port,
    sync_playwright_or_hint,
    wait_healthy,
)

VIEWPORT = {"width": 1280, "height": 900}
_BUSY = '[data-status="running"], [data-status="queued"]'
# Everything a reader could find cut off, found through open shadow roots too.
_CLIPPED_JS = """() => {
  const found = [];
  const walk = function* (root) {
    for (const el of root.querySelectorAll('*')) {
      yield el;
      if (el.shadowRoot) yield* walk(el.shadowRoot);
    }
  };
  const clipper = (el) => {
    for (let p = el.parentElement || el.getRootNode().host; p;
         p = p.parentElement || (p.getRootNode && p.getRootNode().host)) {
      if (/(hidden|clip|auto|scroll)/.test(getComputedStyle(p).overflowX)) return p;
    }
    return null;
  };
  const outside = (el, what) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    const box = clipper(el);
    if (!box) return;
    const b = box.getBoundingClientRect();
    if (r.right > b.right + 1 || r.left < b.left - 1)
      found.push(`${what} is ${Math.round(r.width)} px wide in a ${Math.round(b.width)} px box`);
  };
  for (const el of walk(document)) {
    const tag = el.tagName.toLowerCase();
    if (!el.closest || !(el.closest('.output-area') || el.getRootNode().host)) continue;
    if ((tag === 'svg' && el.closest('.vega-embed')) || tag === 'canvas') outside(el, 'a chart');
    else if (tag === 'table') outside(el, 'a table');
    else if (tag === 'text' && el.closest('.vega-embed') && /…$/.test(el.textContent))
      found.push(`a chart label is cut: "${el.textContent}"`);
    else if (tag === 'input' && ['text', 'search', ''].includes(el.type || '')
             && el.value && el.scrollWidth > el.clientWidth + 1)
      found.push(`a text field shows ${el.clientWidth} of ${el.scrollWidth} px of "${el.value}"`);
  }
  return Array.from(new Set(found));
}"""


@dataclass
class Press:
    """One run button pressed: how long until the notebook was idle again, what it showed."""

    label: str
    seconds: float | None
    errors: list[str] = field(default_factory=list)


@dataclass
class UseResult:
    profile_line: bool = False  # the header named the profile the server chose
    ran_on_open: int = 0  # cell outputs on the page before any button was pressed
    presses: list[Press] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    changed_on_disk: bool | None = None
    errors: list[str] = field(default_factory=list)
    screenshot: str | None = None


def use_notebook(
    notebook: Path, screenshot: Path, *, expect_profile: str, press_timeout: float = 120.0
) -> UseResult:
    """Serve a copy of `notebook` through `gpulab serve`, use it in Chromium, report (see module)."""
    sync_playwright = sync_playwright_or_hint()
    executable = chromium_path()
    result = UseResult()
    with tempfile.TemporaryDirectory(prefix="gpulab-use-") as tmp:
        copy = Path(tmp) / "notebooks" / notebook.name
        copy.parent.mkdir()
        shutil.copy2(notebook, copy)
        original = copy.read_bytes()
        port, token = free_port(), secrets.token_urlsafe(18)
        server, log_path = _serve(copy.parent, port, token, Path(tmp))
        try:
            problem = wait_healthy(server, port, time.monotonic() + 60)
            if problem:
                said = log_path.read_text(encoding="utf-8", errors="replace").replace(token, "***")
                result.errors.append(f"{problem}: {said.strip()[-400:]}")
            else:
                url = f"http://127.0.0.1:{port}/?file={copy.name}&access_token={token}"
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=executable, args=CHROMIUM_FLAGS
                    )
                    try:
                        _session(browser, url, screenshot, expect_profile, press_timeout, result)
                    finally:
                        browser.close()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        result.changed_on_disk = copy.read_bytes() != original
        log = log_path.read_text(encoding="utf-8", errors="replace").replace(token, "***")
        if "Traceback (most recent call last)" in log:
            result.errors.append("server log: " + log[log.index("Traceback") :][:600])
    return result


def _serve(folder: Path, port: int, token: str, tmp: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = tmp / "serve.log"
    token_file = tmp / "token"  # a 0600 file, as a deployment passes it: never in argv
    token_file.write_text(token)
    token_file.chmod(0o600)
    command = [sys.executable, "-m", "gpulab.cli", "serve", "--dir", str(folder)]
    command += ["--port", str(port), "--token-file", str(token_file), "--mode", "edit"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return server, log_path


def _session(
    browser: Any, url: str, screenshot: Path, profile: str, timeout: float, result: UseResult
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    page.on("pageerror", lambda err: result.errors.append(f"page error: {err}"[:300]))
    page.on(
        "console",
        lambda message: (found := console_error(message.text)) and result.errors.append(found),
    )
    page.goto(url, timeout=60_000)
    page.wait_for_selector(".output-area", state="attached", timeout=60_000)
    wait_idle(page, cap_s=timeout)
    result.ran_on_open = page.locator(".output-area").count()
    result.profile_line = f"Profile {profile}" in " ".join(page.inner_text("body").split())
    for label in run_button_labels(page):
        result.presses.append(_press(page, label, timeout))
    result.clipped = page.evaluate(_CLIPPED_JS)
    for text in page.locator(ERROR_SELECTOR).all_inner_texts():
        result.errors.append(f"error shown in page: {' '.join(text.split())}"[:300])
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    result.screenshot = str(screenshot)
    page.keyboard.press("Control+s")  # what a user does; the file must not change
    page.wait_for_timeout(2500)


def run_button_labels(page: Any) -> list[str]:
    """The labels of the notebook's buttons, in page order."""
    labels = []
    for raw in page.locator("marimo-button").evaluate_all(
        "els => els.map(e => e.querySelector('button, [role=button]')?.innerText"
        " || e.shadowRoot?.querySelector('button')?.innerText || '')"
    ):
        label = " ".join(str(raw).split())
        if label and label not in labels:
            labels.append(label)
    return labels


def _press(page: Any, label: str, timeout: float) -> Press:
    before = len(page.locator(ERROR_SELECTOR).all_inner_texts())
    button = page.locator("marimo-button button", has_text=label).first
    try:
        button.scroll_into_view_if_needed(timeout=10_000)
        start = time.monotonic()
        button.click(timeout=10_000)
    except Exception as err:  # Playwright: not clickable
        return Press(label, None, [f"could not press {label!r}: {type(err).__name__}"])
    finished = wait_idle(page, cap_s=timeout)
    seconds = round(time.monotonic() - start, 1)
    errors = [
        f"error shown after pressing {label!r}: {' '.join(text.split())}"[:300]
        for text in page.locator(ERROR_SELECTOR).all_inner_texts()[before:]
    ]
    if not finished:
        errors.append(f"{label!r} was still running after {timeout:g} s")
    return Press(label, seconds if finished else None, errors)


def wait_idle(page: Any, cap_s: float, quiet_s: float = 1.5) -> bool:
    """Wait until no cell is running or queued for `quiet_s`; False if `cap_s` passed first."""
    deadline = time.monotonic() + cap_s
    quiet_since: float | None = None
    page.wait_for_timeout(300)  # the click's request reaches the kernel
    while time.monotonic() < deadline:
        busy = page.locator(_BUSY).count()
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_s:
            return True
        page.wait_for_timeout(250)
    return False
