"""The browser check: `marimo run` on localhost, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gpulab.qa.runner.browser import check_notebook

if TYPE_CHECKING:
    from .conftest import GpulabTest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runner"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]


def test_clicking_the_run_button_draws_the_chart(
    tmp_path: Path, render_times: dict[str, float | None]
) -> None:
    notebook = FIXTURES / "run_button_chart.py"
    seen = check_notebook(notebook, tmp_path / "chart.png", click="Run benchmark")
    render_times["tests/fixtures/runner/run_button_chart.py"] = seen.first_render_s
    assert seen.errors == []
    assert seen.first_render_s is not None
    assert seen.click_s is not None
    assert (tmp_path / "chart.png").read_bytes().startswith(PNG_MAGIC)


def test_a_failing_cell_is_caught_in_the_page_and_the_server_log(tmp_path: Path) -> None:
    seen = check_notebook(FIXTURES / "error_then_independent.py", tmp_path / "error.png")
    assert seen.first_render_s is not None  # the independent cell still rendered
    assert any(error.startswith("cell error in page") for error in seen.errors), seen.errors
    assert any(
        error.startswith("server log") and "KeyError: 'batch_size'" in error
        for error in seen.errors
    ), seen.errors


def test_a_stop_gate_is_not_a_page_error(tmp_path: Path) -> None:
    seen = check_notebook(FIXTURES / "gpu_gate.py", tmp_path / "gate.png")
    assert seen.errors == []
    assert seen.first_render_s is not None


def test_gpulab_test_browser_records_first_render_and_a_screenshot(
    gpulab_test: GpulabTest, tmp_path: Path
) -> None:
    run = gpulab_test(str(FIXTURES / "clean.py"), "--browser", report_dir=tmp_path)
    row = run.rows["clean.py"]
    assert row["status"] == "pass", row
    assert row["first_render_s"] > 0
    assert (tmp_path / row["screenshot"]).read_bytes().startswith(PNG_MAGIC)
    assert "render " in run.stdout


DANGER_BUTTON_NOTEBOOK = """import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    mo.ui.button(label="Stop", kind="danger")
    return


if __name__ == "__main__":
    app.run()
"""


def test_a_danger_styled_button_is_not_reported_as_an_error(tmp_path: Path) -> None:
    notebook = tmp_path / "stop_button.py"
    notebook.write_text(DANGER_BUTTON_NOTEBOOK)
    seen = check_notebook(notebook, tmp_path / "stop.png")
    assert seen.first_render_s is not None
    assert seen.errors == []
