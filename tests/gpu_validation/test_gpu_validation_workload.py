"""The benchmark maths on the CPU: what is counted, what is skipped and why, % of datasheet."""

from __future__ import annotations

import pytest
import torch

from gpulab.datasheet import datasheet_for
from gpulab.workloads.gpu_validation import (
    BandwidthResult,
    MatmulResult,
    ValidationConfig,
    copy_bandwidth,
    host_transfer_bandwidth,
    matmul_tflops,
    peaks_for,
    stress_rate_chart,
    summarise,
    tf32_matmuls,
    throughput_chart,
    validation_steps,
)

TINY = ValidationConfig(
    dtypes=("fp32", "bf16", "tf32", "fp8"),
    sizes=(16, 32),
    copy_mib=1,
    transfer_mib=1,
    cpu_size=16,
    warmup_s=0.001,
    measure_s=0.005,
    min_repeats=2,
)


def test_matmul_rate_is_two_n_cubed_flops_over_the_median_call():
    result = matmul_tflops("fp32", 32, "cpu", TINY)
    assert result.skipped is None
    assert result.timing["work_per_call"] == pytest.approx(2 * 32**3 / 1e12)
    assert result.tflops == pytest.approx(
        result.timing["work_per_call"] / result.timing["median_s"]
    )
    assert result.tflops_best >= result.tflops
    assert "samples_s" not in result.timing  # reports stay small: per-call samples are dropped


def test_matmul_percentage_is_of_the_dense_datasheet_peak():
    sheet = datasheet_for("NVIDIA H100 80GB HBM3")
    result = matmul_tflops("fp32", 16, "cpu", TINY, sheet)
    assert result.peak_tflops == sheet.fp32
    assert result.pct_of_peak == pytest.approx(100 * result.tflops / sheet.fp32)
    assert MatmulResult("bf16", 8192, "cuda:0", tflops=791.52, peak_tflops=989.4).pct_of_peak == (
        pytest.approx(80.0)
    )


@pytest.mark.parametrize("dtype", ["tf32", "fp8"])
def test_tensor_core_formats_are_skipped_on_cpu_with_a_reason(dtype):
    result = matmul_tflops(dtype, 16, "cpu", TINY)
    assert result.tflops is None
    assert "CUDA" in result.skipped


def test_device_copy_counts_bytes_read_and_written():
    result = copy_bandwidth(2, "cpu", TINY)
    assert result.kind == "host copy"
    assert result.bytes_per_call == 2 * 2 * 2**20
    assert result.gbs == pytest.approx(result.timing["work_per_call"] / result.timing["median_s"])
    assert result.timing["work_per_call"] == pytest.approx(2 * 2 * 2**20 / 1e9)


def test_host_transfers_need_a_gpu_and_know_their_direction():
    result = host_transfer_bandwidth("h2d", True, 1, "cpu", TINY)
    assert result.gbs is None and "CUDA GPU" in result.skipped
    assert result.label == "h2d pinned"
    with pytest.raises(ValueError, match="direction"):
        host_transfer_bandwidth("sideways", True, 1, "cpu", TINY)


def test_cpu_run_measures_cpu_parts_and_skips_gpu_only_ones():
    results = [step.run() for step in validation_steps(TINY, "cpu")]
    measured = {r.row()["test"] for r in results if r.skipped is None}
    skipped = {r.row()["test"] for r in results if r.skipped}
    assert {"matmul fp32", "matmul bf16", "host copy", "CPU peer matmul fp32"} <= measured
    assert {"matmul tf32", "matmul fp8", "h2d pinned", "d2h pageable"} <= skipped
    summary = summarise(results)
    assert summary.cpu_matmul is not None and summary.cpu_matmul.is_cpu_peer
    assert set(summary.best_matmul) == {"fp32", "bf16"}  # the peer is not a contender
    assert len(summary.transfers) == 4


def test_summary_keeps_the_fastest_size_per_format():
    results = [
        MatmulResult("bf16", 4096, "cuda:0", tflops=600.0),
        MatmulResult("bf16", 8192, "cuda:0", tflops=790.0),
        MatmulResult("bf16", 16384, "cuda:0", tflops=760.0),
        MatmulResult("fp8", 8192, "cuda:0", skipped="needs sm_89"),
        BandwidthResult("device copy", "cuda:0", 2048, 2 * 2048 * 2**20, gbs=3000.0),
    ]
    summary = summarise(results)
    assert summary.best_matmul["bf16"].size == 8192
    assert "fp8" not in summary.best_matmul
    assert summary.copy is results[-1]


def test_invalid_settings_are_rejected():
    with pytest.raises(ValueError, match="unknown dtype"):
        ValidationConfig(dtypes=("fp64",))
    with pytest.raises(ValueError, match="sizes"):
        ValidationConfig(sizes=())
    with pytest.raises(ValueError, match="profile"):
        ValidationConfig.for_profile("huge")


def test_tf32_switch_is_restored_after_the_block():
    before = torch.backends.cuda.matmul.allow_tf32
    with tf32_matmuls(not before):
        assert torch.backends.cuda.matmul.allow_tf32 is (not before)
    assert torch.backends.cuda.matmul.allow_tf32 is before


def test_cpu_has_no_ceilings():
    peaks = peaks_for("cpu")
    assert peaks.datasheet is None and peaks.pcie_gbs is None


def test_charts_draw_the_measured_matmuls_and_the_stress_rate():
    results = [step.run() for step in validation_steps(TINY, "cpu")]
    bars = throughput_chart(results).to_dict()
    drawn = {row["test"] for row in bars["data"]["values"]}
    assert drawn == {"matmul fp32", "matmul bf16", "CPU peer matmul fp32"}  # skipped ones left out
    events = [{"t": 12.0, "device": "cpu", "tflops": 0.5}]
    line = stress_rate_chart(events, started_at=10.0).to_dict()
    assert line["data"]["values"] == [{"seconds": 2.0, "device": "cpu", "TFLOPS": 0.5}]
