"""What the notebook shows: one precision per figure, spreads and noise beside the numbers, short
tables, a clear message for an empty selection, and no GPU ratio from a CPU."""

from __future__ import annotations

import pytest

from gpulab.datasheet import datasheet_for
from gpulab.device import GpuInfo, SystemInfo
from gpulab.workloads.gpu_validation import (
    BandwidthResult,
    MatmulResult,
    ValidationConfig,
    describe_ceiling,
    format_rate,
    headline_figures,
    health_rows,
    inventory_rows,
    link_rows,
    meaning_lines,
    results_table,
    selection_problems,
    stat_figures,
    stress_telemetry_rows,
    summarise,
)
from gpulab.workloads.gpu_validation.display import stress_figures
from gpulab.workloads.gpu_validation.stress_report import DeviceStress
from gpulab.workloads.gpu_validation.topology import GpuTopology, PcieLink, Topology


def _timing(work: float, median: float, p10: float, p90: float, p99: float) -> dict[str, float]:
    return {
        "work_per_call": work,
        "median_s": median,
        "p10_s": p10,
        "p90_s": p90,
        "p99_s": p99,
        "repeats": 40,
    }


def _matmul(tflops: float, **extra) -> MatmulResult:
    work = 2 * 8192**3 / 1e12
    median = work / tflops
    timing = _timing(work, median, median * 0.95, median * 1.1, median * 1.2)
    return MatmulResult("bf16", 8192, "cuda:0", tflops=tflops, timing=timing, **extra)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.13994, "0.1399"), (791.52, "791.5"), (3012.4, "3,012"), (0.0000512, "0.00005120")],
)
def test_rates_keep_four_significant_digits_and_never_an_exponent(value, shown):
    assert format_rate(value) == shown


def test_a_stat_card_and_the_table_print_the_same_figure_the_same_way():
    # The card once said "0.1 TFLOPS" where the table said 0.1399.
    result = _matmul(0.13994)
    value, _ = stat_figures(result)
    assert value == result.table_row()["median"] == "0.1399 TFLOPS"


def test_spread_and_ceiling_sit_beside_the_median():
    result = _matmul(791.52, peak_tflops=989.4)
    row = result.table_row()
    low, high = (result.timing["work_per_call"] / result.timing[k] for k in ("p90_s", "p10_s"))
    assert row["p10-p90"] == f"{format_rate(low)}-{format_rate(high)} · 40 runs"
    assert row["of ceiling"] == "80.0 % of 989.4"
    assert describe_ceiling(result) == "80.0 % of 989.4 TFLOPS (datasheet)"
    _, caption = stat_figures(result)
    assert f"p10-p90 {format_rate(low)}-{format_rate(high)}" in caption and "80.0 %" in caption


def test_a_noisy_timing_is_flagged_beside_its_number():
    note = "noisy: p99 30 ms is 3.0x the median"
    result = _matmul(500.0, noise=note)
    row = result.table_row()
    assert row["median"].endswith("(noisy)") and row["note"] == note
    assert stat_figures(result)[0].endswith("(noisy)") and note in stat_figures(result)[1]


def test_the_table_drops_columns_no_row_fills():
    skipped = BandwidthResult("h2d", "cpu", 8, 8 * 2**20, pinned=True, skipped="needs a GPU")
    rows = results_table([_matmul(0.14), skipped])
    assert "of ceiling" not in rows[0]  # no ceiling on this machine
    assert rows[1]["median"] == "-" and rows[1]["note"] == "needs a GPU"


def test_an_empty_selection_is_named_before_running_and_refused_when_run():
    assert selection_problems(["bf16"], ["64"]) == []
    problems = selection_problems([], [])
    assert any("number format" in p for p in problems) and any("matrix size" in p for p in problems)
    with pytest.raises(ValueError, match="no number format is selected"):
        ValidationConfig(dtypes=())
    with pytest.raises(ValueError, match="no matrix size is selected"):
        ValidationConfig(sizes=())


@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_the_offered_sizes_hold_each_profiles_defaults(profile):
    defaults = ValidationConfig.for_profile(profile).sizes
    assert set(defaults) <= set(ValidationConfig.size_choices(profile))
    assert max(ValidationConfig.size_choices("smoke")) <= 256  # seconds on a CPU


def test_no_gpu_to_cpu_ratio_is_drawn_from_a_cpu_run():
    cpu_peer = MatmulResult("fp32", 128, "cpu", tflops=0.1, is_cpu_peer=True)
    on_cpu = summarise([MatmulResult("fp32", 128, "cpu", tflops=0.1), cpu_peer])
    assert not any("×" in line for line in meaning_lines(on_cpu))
    sheet = datasheet_for("NVIDIA H100 80GB HBM3")
    gpu = _matmul(790.0, peak_tflops=sheet.bf16)
    lines = meaning_lines(summarise([gpu, cpu_peer]))
    assert any("7,900× the CPU" in line for line in lines)
    assert any(line.startswith("- **bf16** reached") for line in lines)


def test_headline_cards_cover_the_best_formats_the_copy_and_the_peer():
    copy = BandwidthResult("host copy", "cpu", 8, 16 * 2**20, gbs=12.5)
    peer = MatmulResult("fp32", 128, "cpu", tflops=0.1, is_cpu_peer=True)
    labels = [label for label, _, _ in headline_figures(summarise([_matmul(0.2), copy, peer]))]
    assert labels == ["bf16 matmul (best n=8192)", "host copy", "CPU peer: fp32 matmul n=128"]


def test_inventory_and_topology_tables_stay_short():
    gpu = GpuInfo(0, "NVIDIA H100 80GB HBM3", 81559.0, compute_capability=(9, 0), sm_count=132)
    rows = inventory_rows(SystemInfo(gpus=[gpu]))
    assert rows[0]["name"] == "H100 80GB HBM3" and rows[0]["cc"] == "9.0"
    topo = Topology(available=True, gpus=[GpuTopology(0, "H100", pcie=PcieLink(5, 16, 5, 16))])
    for table in (rows, link_rows(topo), health_rows(topo)):
        assert len(table[0]) <= 10
        assert all(len(str(key)) <= 18 for key in table[0])


def test_stress_figures_share_the_rate_format_and_show_the_interval_range():
    stats = DeviceStress("cpu", None, checks=9, sustained_tflops=0.04007)
    stats.min_tflops, stats.max_tflops = 0.0331, 0.0415
    value, caption = stress_figures(stats)
    assert value == "0.04007 TFLOPS"
    assert caption == "9 checks · 0 mismatches · intervals 0.03310-0.04150"
    telemetry = {
        0: {
            "utilization_mean_pct": 99.2,
            "utilization_min_pct": 97.0,
            "sm_clock_mean_mhz": 1755.0,
            "power_mean_w": 690.4,
            "power_max_w": 701.0,
            "temperature_max_c": 71.0,
            "throttle_reasons_seen": ["sw_power_cap"],
        }
    }
    assert stress_telemetry_rows(telemetry)[0]["power W mean / max"] == "690 / 701"
