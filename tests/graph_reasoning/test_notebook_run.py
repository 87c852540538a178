"""The notebook at smoke sizes, in this process: it trains, shows results, and writes its
checkpoints outside the repository (opening or running it changes nothing there)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "graph_reasoning_dashboard.py"


def _status() -> str:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--", "notebooks", "src"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_smoke_run_trains_and_leaves_the_repo_alone(monkeypatch) -> None:
    monkeypatch.setattr("sys.argv", [str(NOTEBOOK), "--profile=smoke"])
    before = _status()
    spec = importlib.util.spec_from_file_location("graph_reasoning_nb", NOTEBOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outputs, defs = module.app.run()
    result = defs["get_results"]()
    assert result is not None and len(result.runs) == 9 and not result.stopped
    assert all(run.test is not None for run in result.runs)
    folder = Path(defs["config"].checkpoint_dir).resolve()
    assert REPO not in folder.parents and any(folder.glob("*.pt"))
    html = " ".join(str(getattr(o, "text", o)) for o in outputs)
    assert "Trained 9 runs" in html
    assert "Training failed" not in html and "Cannot run training" not in html
    assert _status() == before
