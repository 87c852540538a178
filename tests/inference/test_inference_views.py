"""What the notebook shows: every timing with its spread, noisy figures marked beside the number."""

from __future__ import annotations

import json

import pytest

from gpulab.workloads.inference import (
    LadderResult,
    RungResult,
    drift_rows,
    format_rate,
    format_ratio,
    headline_figures,
    noise_warning,
    ratio_noise,
    speedup_rows,
    timing_rows,
)


def test_a_noisy_rung_is_flagged_and_keeps_its_spread(
    noisy_ladder: LadderResult, clean_ladder: LadderResult
) -> None:
    noisy = noisy_ladder.get("eager-fp32")
    assert noisy.noisy and not clean_ladder.get("eager-fp32").noisy
    assert noisy.p10_ms <= noisy.p50_ms <= noisy.p90_ms <= noisy.p99_ms
    assert "p10-p90" in noisy.spread() and "noisy: p99" in noisy.spread()
    assert "noisy" in noisy.noise_note() and noisy.noise_note() in noisy.spread()


def test_the_timing_table_shows_spread_and_the_noise_flag_beside_every_median(
    noisy_ladder: LadderResult,
) -> None:
    rows = {row["rung"]: row for row in timing_rows(noisy_ladder)}
    eager, fast = rows["eager-fp32"], rows["onnxruntime"]
    assert eager["p50 per batch"] == "46 ms" and eager["p99"].endswith("ms")
    assert eager["p10-p90"].count("ms") == 2 and eager["runs"] == 20
    assert eager["noise"].startswith("noisy: p99")
    assert fast["noise"] == "clean"


def test_a_headline_ratio_built_from_a_noisy_timing_says_so(noisy_ladder: LadderResult) -> None:
    figures = {f.label: f for f in headline_figures(noisy_ladder)}
    overall = figures["vs eager IEEE FP32"]
    assert overall.value.endswith("× (noisy)")
    assert overall.noisy == ("eager-fp32",)
    assert "noisy timing: eager-fp32" in overall.full_caption
    assert not figures["best verified rung: onnxruntime"].noisy  # its own timing is clean
    warning = noise_warning(noisy_ladder)
    assert "eager-fp32 p99" in warning and "quiet machine" in warning


def test_clean_timings_give_plain_figures_and_no_warning(clean_ladder: LadderResult) -> None:
    clean = clean_ladder
    assert all("noisy" not in f.value and not f.noisy for f in headline_figures(clean))
    assert noise_warning(clean) == ""
    assert ratio_noise(*clean.rungs) == ""


def test_cards_and_tables_show_the_same_figure_with_the_same_precision(
    noisy_ladder: LadderResult,
) -> None:
    result = noisy_ladder
    figures = {f.label: f for f in headline_figures(result)}
    fast = result.get("onnxruntime")
    speedups = {row["rung"]: row for row in speedup_rows(result)}
    timings = {row["rung"]: row for row in timing_rows(result)}
    assert figures["vs eager IEEE FP32"].value == speedups["onnxruntime"]["vs eager fp32"]
    best_card = figures["best verified rung: onnxruntime"].value
    assert best_card == f"{timings['onnxruntime']['samples/s']} samples/s"
    assert best_card == f"{format_rate(fast.samples_per_s)} samples/s"
    assert speedups["onnxruntime"]["vs eager fp32"] == format_ratio(
        fast.speedup_vs_fp32, ratio_noise(fast, result.get("eager-fp32"))
    )


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "-"), (54477.7, "54,478"), (55.61, "55.6"), (3.214, "3.21")]
)
def test_rates_are_formatted_one_way(value: float | None, shown: str) -> None:
    assert format_rate(value) == shown


def test_tables_stay_narrow_and_skip_unmeasured_rungs(clean_ladder: LadderResult) -> None:
    result = clean_ladder
    result.rungs.append(RungResult("cuda-graphs", "skipped", "needs a CUDA GPU"))
    for rows in (timing_rows(result), speedup_rows(result), drift_rows(result)):
        assert [row["rung"] for row in rows] == ["eager-fp32", "onnxruntime"]
        assert len(rows[0]) <= 7  # every column fits the page at 1280 px


def test_a_rung_as_json_carries_its_noise_flag_but_not_the_timing_object(
    noisy_ladder: LadderResult,
) -> None:
    data = noisy_ladder.get("eager-fp32").to_dict(latencies=False)
    assert data["noisy"] is True and data["noise"].startswith("noisy: p99")
    assert "timing" not in data and "latencies_ms" not in data
    assert data["p10_ms"] == pytest.approx(46.0)
    json.dumps(data)


def test_a_ladder_whose_reference_failed_is_a_failed_run(clean_ladder: LadderResult) -> None:
    result = clean_ladder
    result.require_reference()  # measured: nothing raised
    result.rungs[0].status, result.rungs[0].reason = "failed", "planted"
    with pytest.raises(RuntimeError, match=r"eager-fp32 reference failed \(planted\)"):
        result.require_reference()
