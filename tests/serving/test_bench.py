"""`gpulab bench serving --profile smoke`: a real run writes the report; no CPU ratio."""

from __future__ import annotations

import json
from pathlib import Path

from gpulab.benchmarks import available, run_benchmark


def test_bench_serving_smoke(tmp_path: Path) -> None:
    assert "serving" in available()
    run_benchmark("serving", profile="smoke", out_dir=tmp_path)
    report = json.loads((tmp_path / "serving.json").read_text())
    details = report["details"]
    # no CPU ratio: a CPU run says so, or (a loaded CPU) that a variant missed the p99 limit
    assert report["ratio"] is None
    both = details["batched_best"] and details["unbatched_best"]
    assert ("CPU run" if both else "no level with p99") in report["no_ratio_because"]
    assert details["check"]["passed"] and details["server_gone_after"]
    assert "resnet50 forward eager (on the CPU)" in details["server_notes"]
    assert details["config"]["models"] == ["resnet50"]
    assert {r["batching"] for r in details["rows"]} == {True, False}
    assert all(r["ok"] > 0 for r in details["rows"])
