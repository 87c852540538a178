"""What the notebook shows of a ladder: every rung a row, timings with spread, CPU said."""

from __future__ import annotations

import dataclasses

from gpulab.workloads.diffusion import (
    DiffusionConfig,
    chart_points,
    headline,
    ladder_rows,
    run_ladder,
)


def test_rows_headline_and_chart_from_a_real_run() -> None:
    config = dataclasses.replace(
        DiffusionConfig.for_profile("smoke"),
        device="cpu",
        rungs=("default", "channels_last", "compile", "fewer_steps"),
    )
    result = run_ladder(config)
    lossless, lossy = ladder_rows(result, lossy=False), ladder_rows(result, lossy=True)
    assert [r["rung"] for r in lossless] == [
        "diffusers default",
        "+ channels_last",
        "+ torch.compile",
    ]
    assert lossless[2]["note"].startswith("GPU only")
    assert "p10-p90 (call)" in lossless[0] and "(2)" in lossless[0]["p10-p90 (call)"]
    assert lossy[0]["steps"] == 2 and lossless[0]["steps"] == 4
    checks = ladder_rows(result, lossy=False, part="check")
    assert checks[1]["verdict"] == "✓ matches" and checks[0]["peak MiB"] == "–"  # CPU
    assert ladder_rows(result, lossy=True, part="check")[0]["verdict"] == "lossy"
    assert len(checks) == 2  # the rungs that ran
    for rows in (lossless, checks, lossy):
        assert len({tuple(row) for row in rows}) == 1  # one set of columns a table
        assert len(rows[0]) <= 7  # narrow: nothing clipped at 1280 px
    text = headline(result)
    assert "CPU timings compared with CPU timings" in text and "per image" in text
    points = chart_points(result)
    assert [p["kind"] for p in points] == ["lossless", "lossless", "lossy"]
