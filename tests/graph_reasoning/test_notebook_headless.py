"""The notebook as `gpulab test` runs it (marimo's export-session runner, which reports the same
app mode as a browser): the training cell trains to the end instead of starting a background job
that the finished export leaves behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "graph_reasoning_dashboard.py"


def test_headless_smoke_run_shows_its_trained_runs(tmp_path: Path) -> None:
    out = tmp_path / "cells.json"
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "gpulab.qa.runner.child",
            str(NOTEBOOK),
            str(out),
            "--profile=smoke",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=600,
    )
    cells = json.loads(out.read_text())["cells"]
    texts = [cell["output"] or "" for cell in cells]
    assert any("Trained 9 runs" in text for text in texts), texts
    assert not any("Training started" in text for text in texts)
