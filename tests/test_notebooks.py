"""Every notebook in notebooks/ through `gpulab test --profile smoke`, and in Chromium twice: as
an app (`marimo run`: first render, no cell errors) and as a new user meets it in `gpulab serve`
(cheap cells run on open, the profile named, every run button pressed and finished within two
minutes under the served CPU defaults, nothing clipped at 1280 px, the file unchanged by saving).

Smoke must pass, or skip with a stated reason (a deliberate `mo.stop`, e.g. "needs a GPU"). Results
and screenshots go to reports/test-local/ (gitignored), the folder CI keeps as its artifact.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gpulab.profiles import default_for_this_machine
from gpulab.qa.discovery import is_notebook
from gpulab.qa.runner.browser import check_notebook
from gpulab.qa.runner.user_session import use_notebook

ROOT = Path(__file__).resolve().parents[1]
REPORT_DIR = ROOT / "reports" / "test-local"
NOTEBOOKS = [path for path in sorted((ROOT / "notebooks").glob("*.py")) if is_notebook(path)]
SMOKE_TIMEOUT_S = "300"
PRESS_LIMIT_S = 120.0


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_name)
def test_notebook_smoke_profile_passes_or_skips_with_a_reason(notebook: Path) -> None:
    command = [sys.executable, "-m", "gpulab.cli", "test", _name(notebook), "--profile", "smoke"]
    command += ["--timeout", SMOKE_TIMEOUT_S, "--report", str(REPORT_DIR)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stderr  # 2 would be bad input: a bug here
    rows = json.loads((REPORT_DIR / "report.json").read_text(encoding="utf-8"))
    row = next(r for r in rows if r["notebook"] == _name(notebook) and r["profile"] == "smoke")
    assert row["status"] in ("pass", "skipped"), done.stdout
    if row["status"] == "skipped":
        assert row["reason"], "a skip must say why"


@pytest.fixture(scope="module")
def warm_caches(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One untimed page load first: the first launch on a fresh machine reads Chromium and
    marimo's frontend from disk, which would be charged to whichever notebook is timed first."""
    check_notebook(NOTEBOOKS[0], tmp_path_factory.mktemp("warm-up") / "page.png", timeout=120)


@pytest.mark.browser
@pytest.mark.usefixtures("browser_ready", "warm_caches")
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_name)
def test_notebook_renders_in_chromium_without_cell_errors(
    notebook: Path, render_times: dict[str, float | None]
) -> None:
    screenshot = REPORT_DIR / "screenshots" / f"{notebook.stem}.browser-test.png"
    seen = check_notebook(notebook, screenshot, timeout=120)
    render_times[_name(notebook)] = seen.first_render_s
    assert seen.errors == []
    assert seen.first_render_s is not None
    assert screenshot.exists()


@pytest.mark.browser
@pytest.mark.usefixtures("browser_ready")
def test_pressing_run_in_the_inference_notebook_draws_its_charts() -> None:
    # As a user would: open the page (no profile args, so the gate waits), press the button.
    notebook = ROOT / "notebooks" / "inference_optimization.py"
    screenshot = REPORT_DIR / "screenshots" / "inference_optimization.clicked.png"
    seen = check_notebook(notebook, screenshot, click="Run the ladder", timeout=240)
    assert seen.errors == []
    assert seen.click_s is not None


@pytest.mark.browser
@pytest.mark.usefixtures("browser_ready")
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_name)
def test_a_new_user_can_press_every_run_button_in_gpulab_serve(notebook: Path) -> None:
    screenshot = REPORT_DIR / "screenshots" / f"{notebook.stem}.served.png"
    profile = default_for_this_machine()
    seen = use_notebook(notebook, screenshot, expect_profile=profile, press_timeout=PRESS_LIMIT_S)
    for press in seen.presses:
        print(f"{_name(notebook)}: pressed {press.label!r}: {press.seconds} s")
    assert seen.errors == []
    assert seen.ran_on_open > 0, "no cell ran when the notebook opened"
    assert seen.profile_line, f"the page does not name the profile ({profile})"
    assert seen.presses, "the notebook has no run button to press"
    assert [p for p in seen.presses if p.errors or p.seconds is None] == []
    assert seen.clipped == []
    assert seen.changed_on_disk is False, "opening and saving the notebook in the editor changed it"
