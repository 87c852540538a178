"""Burst and sustained windows: the rate is work over measured time, and the peak at a clock
reproduces the datasheet at the boost clock it was quoted at."""

from __future__ import annotations

import pytest
import torch

from gpulab.workloads.gpu_validation import BurstConfig, burst_rows, peak_at_clock, run_burst


def test_the_peak_at_the_boost_clock_is_the_h100_and_h200_datasheet_figure() -> None:
    # 132 SMs x 4096 dense bf16 FLOP per clock x 1830 MHz: the 989.4 TFLOPS NVIDIA quotes.
    assert peak_at_clock("bf16", (9, 0), 132, 1830) == pytest.approx(989.4, rel=1e-3)
    # A100: 108 SMs x 2048 x 1410 MHz = 312 TFLOPS bf16, 19.5 fp32.
    assert peak_at_clock("bf16", (8, 0), 108, 1410) == pytest.approx(312.0, rel=2e-3)
    assert peak_at_clock("fp32", (8, 0), 108, 1410) == pytest.approx(19.5, rel=2e-3)
    # At the clock a power cap holds, the peak scales with it.
    assert peak_at_clock("bf16", (9, 0), 132, 1485) == pytest.approx(989.4 * 1485 / 1830, 1e-3)
    assert peak_at_clock("bf16", (7, 5), 40, 1500) is None  # an architecture not in the table


def test_each_format_gets_a_burst_and_a_held_window_with_its_rate_from_its_own_time() -> None:
    config = BurstConfig.for_profile("smoke")
    seen: list[tuple[int, int]] = []
    results = run_burst(config, torch.device("cpu"), None, lambda d, t, _n: seen.append((d, t)))
    assert [r.dtype for r in results] == list(config.dtypes)
    for r in results:
        assert r.burst is not None and r.sustained is not None
        assert r.burst.products == config.burst_products
        assert r.sustained.seconds >= config.sustained_s * 0.9
        flop = 2 * config.size**3 / 1e12
        assert r.burst.tflops == pytest.approx(flop * r.burst.products / r.burst.seconds)
    assert seen[-1] == (4, 4) and all(d <= t for d, t in seen)
    rows = burst_rows(results)
    assert [(row["format"], row["window"]) for row in rows] == [
        ("fp32", "burst"),
        ("fp32", f"{results[0].sustained.seconds:.1f} s"),
        ("bf16", "burst"),
        ("bf16", f"{results[1].sustained.seconds:.1f} s"),
    ]
    assert rows[0]["% sheet"] == "–"  # no datasheet for a CPU


def test_a_bad_burst_config_names_the_setting() -> None:
    with pytest.raises(ValueError, match="sustained_s"):
        BurstConfig(sustained_s=0)
    with pytest.raises(ValueError, match="lead_in_products"):
        BurstConfig(lead_in_products=-1)
    with pytest.raises(ValueError, match="choose burst formats"):
        BurstConfig(dtypes=("fp64",))


def test_lead_in_products_run_before_the_burst_and_are_not_timed(monkeypatch) -> None:  # noqa: ANN001
    """The products queued before the burst run (the real matmul, counted) but are not in the
    burst's product count, so not in its rate."""
    from gpulab.workloads.gpu_validation import burst as burst_module

    calls: list[int] = []
    real = burst_module.matmul_fn

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        product = real(*args, **kwargs)
        return lambda: (calls.append(1), product())[1]

    monkeypatch.setattr(burst_module, "matmul_fn", counted)
    config = BurstConfig(
        dtypes=("fp32",),
        size=64,
        warmup_products=2,
        rest_s=0.0,
        lead_in_products=3,
        burst_products=4,
        sustained_s=0.05,
    )
    (result,) = run_burst(config, torch.device("cpu"))
    assert result.burst.products == 4
    assert len(calls) == 2 + 3 + 4 + result.sustained.products
