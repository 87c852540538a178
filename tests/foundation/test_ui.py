import json
import re
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import pytest

from gpulab.errors import MissingDependencyError
from gpulab.memory import GpuOutOfMemory
from gpulab.profiles import Profile
from gpulab.telemetry import Sample, TelemetrySampler
from gpulab.ui import (
    error_callout,
    missing_dependency_callout,
    no_gpu_callout,
    oom_callout,
    run_guide,
    telemetry_chart,
    telemetry_panel,
)
from gpulab.ui.monitor import telemetry_records

GATED_NOTEBOOK = """import marimo
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    from gpulab.ui import read_profile, run_gate

    profile = read_profile()
    return mo, profile, run_gate


@app.cell
def _(mo):
    button = mo.ui.run_button(label="Train")
    return (button,)


@app.cell
def _(button, mo, profile, run_gate):
    run_gate(button, profile, "training")
    mo.md(f"trained in profile {profile.name}")
    return


@app.cell
def _(button, mo, profile, run_gate):
    run_gate(button, profile, "training", problem="**Cannot run:** the batch is empty")
    mo.md("ran despite its problem")
    return


if __name__ == "__main__":
    app.run()
"""


def run_headless(tmp_path: Path, *notebook_args: str) -> tuple[int, str]:
    """Run the notebook with marimo for real; return exit code and every cell output as text."""
    notebook = tmp_path / "gated.py"
    notebook.write_text(GATED_NOTEBOOK)
    command = [
        sys.executable,
        "-m",
        "marimo",
        "export",
        "session",
        str(notebook),
        "--no-sandbox",
        "--force-overwrite",
    ]
    if notebook_args:
        command += ["--", *notebook_args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    session = json.loads(next((tmp_path / "__marimo__" / "session").glob("*.json")).read_text())
    outputs = json.dumps([cell["outputs"] for cell in session["cells"]])
    return result.returncode, outputs


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--smoke"], "trained in profile smoke"),  # a bare flag parses to ''
        (["--smoke=true"], "trained in profile smoke"),
        (["--profile=smoke"], "trained in profile smoke"),
        (["--profile=full"], "trained in profile full"),  # named on the CLI: a headless full run
        ([], "to start training"),  # no profile asked for: the gate waits for the button
    ],
)
def test_gate_opens_only_for_the_smoke_profile(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    code, outputs = run_headless(tmp_path, *args)
    assert code == 0
    assert expected in outputs
    assert ("trained in profile" in outputs) == ("trained" in expected)


def test_a_settings_problem_stops_the_gate_even_headless(tmp_path: Path) -> None:
    code, outputs = run_headless(tmp_path, "--smoke=true")
    assert code == 0
    assert "the batch is empty" in outputs
    assert "ran despite its problem" not in outputs


def test_the_guide_lists_each_button_as_written() -> None:
    buttons = """
        - **Train**: trains the model
          for its steps
        - **Compare**: runs the peer
        """
    text = callout_markup(run_guide(Profile("smoke"), buttons))
    assert re.search(r"<li><strong>Train</strong>: trains the model\s+for its steps</li>", text)
    assert "<li><strong>Compare</strong>: runs the peer</li>" in text
    assert "seconds to show that it works" in text  # what the smoke profile means
    assert "seconds to show" not in callout_markup(run_guide(Profile("full"), buttons))


def callout_markup(element: object) -> str:
    """The HTML inside a callout: marimo holds it JSON-encoded in an escaped attribute."""
    attribute = re.search(r"data-html='([^']*)'", html(element))
    assert attribute, html(element)
    return json.loads(unescape(attribute.group(1)))


def test_unknown_profile_fails_the_cell_clearly(tmp_path: Path) -> None:
    code, outputs = run_headless(tmp_path, "--profile=huge")
    assert code == 1
    assert "unknown profile" in outputs


def html(element: object) -> str:
    return element.text  # marimo Html elements expose their markup


def test_callouts_say_what_happened_and_what_to_do() -> None:
    assert "Needs an NVIDIA GPU" in html(no_gpu_callout("The benchmark"))
    oom = GpuOutOfMemory(
        requested_mib=4096,
        free_mib=1024,
        total_mib=81920,
        device="H100",
        suggestions=["halve the batch"],
    )
    text = html(oom_callout(oom))
    assert "4.00 GiB" in text and "halve the batch" in text and "released" in text
    missing = MissingDependencyError("peft", "pip install 'gpulab[llm]'", "LoRA adapters")
    text = html(missing_dependency_callout(missing))
    assert "gpulab[llm]" in text and "restart" in text
    assert "ValueError" in html(error_callout("Bad config", ValueError("rank must be > 0")))


def samples() -> list[Sample]:
    now = time.monotonic()
    return [
        Sample(now - 10 + i, gpu, 50.0 + i, 5.0, 900.0, 80000.0, 55.0, 250.0, 1900.0, ())
        for i in range(10)
        for gpu in (0, 1)
    ]


def test_telemetry_chart_plots_every_gpu_and_metric() -> None:
    rows = telemetry_records(samples(), metrics=["utilization_pct", "power_w"])
    assert {row["gpu"] for row in rows} == {"GPU 0", "GPU 1"}
    assert {row["metric"] for row in rows} == {"utilisation %", "power W"}
    assert all(-11 <= row["seconds"] <= 0 for row in rows)
    spec = telemetry_chart(samples()).to_dict()
    assert spec["facet"]["field"] == "metric"


def test_panel_explains_missing_telemetry() -> None:
    sampler = TelemetrySampler(reader=None)
    if sampler.available:
        pytest.skip("NVML present: this describes machines without it")
    assert "Live telemetry unavailable" in html(telemetry_panel(sampler))


def test_a_served_smoke_profile_waits_for_its_buttons() -> None:
    from gpulab.profiles import Profile

    served = Profile("smoke", source="$GPULAB_PROFILE", interactive=True)
    script = Profile("smoke", source="$GPULAB_PROFILE", interactive=False)
    headless_full = Profile("full", args={"profile": "full"}, source="notebook args")
    assert not served.autorun
    assert script.autorun and headless_full.autorun
    assert not Profile("full", interactive=False).autorun


def test_background_work_only_where_a_browser_waits_for_it() -> None:
    from gpulab.profiles import Profile

    served = Profile("smoke", source="$GPULAB_PROFILE", interactive=True)
    exported = Profile("full", args={"profile": "full"}, source="notebook args", interactive=True)
    assert served.background
    assert not exported.background  # `gpulab test` (export session): the cell must finish
    assert not Profile("smoke", interactive=False).background
