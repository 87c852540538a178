"""`gpulab bench pinn --profile smoke` writes the report from a real run of both set-ups."""

from __future__ import annotations

import json
from pathlib import Path

from gpulab.benchmarks import run_benchmark


def test_bench_smoke(tmp_path: Path) -> None:
    run_benchmark("pinn", "smoke", tmp_path)
    report = json.loads((tmp_path / "pinn.json").read_text())
    details = report["details"]
    assert report["ratio"] is None and "smoke" in report["no_ratio_because"]
    assert details["config"]["raissi"]["depth"] == 9 and details["config"]["raissi"]["width"] == 20
    assert (
        details["config"]["raissi"]["n_f"] == 10_000 and details["config"]["raissi"]["n_u"] == 100
    )
    for side in ("ours", "raissi"):
        assert 0 < details[side]["rel_l2"] < 2
        assert details[side]["seconds"] < details["budget_s"] + 30
