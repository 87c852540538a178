"""Honest progress for the validation run: work counted in FLOPs (bytes) at measured rates, so the
estimate does not grow from a minute to half an hour as the matrices do."""

from __future__ import annotations

import pytest

from gpulab.datasheet import datasheet_for
from gpulab.progress import EtaEstimator
from gpulab.workloads.gpu_validation import (
    CostModel,
    MatmulResult,
    Step,
    ValidationConfig,
    ValidationRun,
    estimated_seconds,
)

CONFIG = ValidationConfig(
    dtypes=("fp32",),
    sizes=(1024, 2048),
    warmup_s=0.15,
    measure_s=0.3,
    min_repeats=10,
    max_repeats=2000,
)
RATE = 0.1  # TFLOP/s: a CPU's fp32 matmul


def _timed(dtype: str, size: int, rate: float = RATE) -> MatmulResult:
    per_call = 2 * size**3 / 1e12 / rate
    timing = {"work_per_call": 2 * size**3 / 1e12, "median_s": per_call}
    return MatmulResult(dtype, size, "cpu", tflops=rate, timing=timing)


def _step(size: int, dtype: str = "fp32", device: str = "cpu", skip: bool = False) -> Step:
    return Step(
        label=f"matmul {dtype} {size}³",
        run=lambda: _timed(dtype, size),
        device=device,
        kind=f"matmul {dtype}",
        work_per_call=2 * size**3 / 1e12,
        skip=skip,
    )


def test_a_measurement_is_its_time_windows_until_a_rate_is_measured():
    model = CostModel(CONFIG)
    assert model.seconds(_step(4096)) == pytest.approx(CONFIG.warmup_s + CONFIG.measure_s)
    assert model.seconds(_step(4096, skip=True)) == 0.0  # a format this device cannot run


def test_a_measured_rate_prices_larger_matrices_by_their_flops():
    model = CostModel(CONFIG)
    model.learn(_step(1024), _timed("fp32", 1024), seconds=1.0, first=True)
    per_call = 2 * 16384**3 / 1e12 / RATE  # 88 s a call: far beyond the time windows
    calls = 4 + 2 + CONFIG.min_repeats  # probe, warm-up, timed repeats
    assert model.seconds(_step(16384)) == pytest.approx(calls * per_call)
    # A small, fast matrix still costs its time windows, not its few FLOPs...
    assert model.seconds(_step(512)) == pytest.approx(
        CONFIG.warmup_s + CONFIG.measure_s + 4 * 2 * 512**3 / 1e12 / RATE
    )
    # ...unless its calls are so short that the call-count caps end the windows first.
    tiny = 2 * 64**3 / 1e12 / RATE
    assert model.seconds(_step(64)) == pytest.approx((4 + 1000 + CONFIG.max_repeats) * tiny)


def test_an_unmeasured_format_borrows_a_rate_scaled_by_the_datasheet():
    sheet = datasheet_for("NVIDIA H100 80GB HBM3")
    model = CostModel(CONFIG, sheet)
    bf16 = _step(8192, "bf16", "cuda:0")
    model.learn(bf16, _timed("bf16", 8192, rate=700.0), seconds=0.5, first=True)
    fp32 = _step(8192, "fp32", "cuda:0")
    assert model.rate(fp32) == pytest.approx(700.0 * sheet.fp32 / sheet.bf16)
    assert model.rate(_step(8192, "fp32", "cpu")) is None  # another device: nothing to borrow
    no_sheet = CostModel(CONFIG)
    no_sheet.learn(_step(512), _timed("fp32", 512, rate=0.2), seconds=0.5, first=True)
    no_sheet.learn(_step(512, "bf16"), _timed("bf16", 512, rate=0.05), seconds=0.5, first=False)
    assert no_sheet.rate(_step(512, "fp16")) == pytest.approx(0.05)  # the slowest seen so far


def test_set_up_time_is_learned_after_the_first_step():
    model = CostModel(CONFIG)
    model.learn(_step(1024), _timed("fp32", 1024), seconds=30.0, first=True)  # CUDA start-up
    assert model.overhead_s == 0.0
    calls = model.calls_seconds(_step(2048))
    model.learn(_step(2048), _timed("fp32", 2048), seconds=calls + 0.2, first=False)
    assert model.overhead_s == pytest.approx(0.2)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _simulated_run(sizes: tuple[int, ...]) -> tuple[ValidationRun, _Clock]:
    """A run whose steps take what a CPU at RATE takes (plus set-up), on a fake clock."""
    clock = _Clock()
    run = ValidationRun(CONFIG, "cpu", clock=clock)
    model = CostModel(CONFIG)

    def measure(size: int) -> MatmulResult:
        model.rates[("cpu", "matmul fp32")] = RATE
        clock.now += model.calls_seconds(_step(size)) + 0.05
        return _timed("fp32", size)

    run.steps = [
        Step(f"matmul fp32 {n}³", lambda n=n: measure(n), "cpu", "matmul fp32", 2 * n**3 / 1e12)
        for n in sizes
    ]
    return run, clock


def test_progress_counts_seconds_and_the_total_follows_the_flops_not_the_step_count():
    sizes = (1024, 2048, 4096, 8192, 16384)
    run, clock = _simulated_run(sizes)
    reports: list[tuple[float, float, str]] = []
    run.run(progress=lambda done, total, note: reports.append((done, total, note)))
    actual = clock.now
    dones = [done for done, _, _ in reports]
    assert dones == sorted(dones) and dones[0] == 0.0
    assert reports[-1] == (pytest.approx(actual), pytest.approx(actual), "done")
    # After the first two steps the rate is known: the total is the real one, within a few %.
    # A step count would have said 2 of 5 steps done: 40 %, with most of the hours still ahead.
    _, total_after_two, note = reports[2]
    assert note == "matmul fp32 4096³"
    assert total_after_two == pytest.approx(actual, rel=0.05)
    assert reports[2][0] / total_after_two < 0.01  # 2 of 5 steps, under 1 % of the work


def test_the_bar_estimate_stays_put_once_the_rate_is_measured():
    sizes = (1024, 2048, 4096, 8192, 16384)
    run, clock = _simulated_run(sizes)
    etas: list[float] = []
    estimator = EtaEstimator(total=estimated_seconds(run), clock=clock)

    def progress(done: float, total: float, note: str) -> None:
        estimator.total = total
        estimator.update(done)
        if estimator.eta_s is not None and done < total:
            etas.append(clock.now + estimator.eta_s)  # the predicted finishing time

    run.run(progress=progress)
    assert etas, "an ETA was measured"
    assert max(etas) == pytest.approx(clock.now, rel=0.05)
    assert min(etas) == pytest.approx(clock.now, rel=0.05)


def test_the_first_estimate_is_positive_even_when_every_step_is_skipped():
    run = ValidationRun(ValidationConfig(dtypes=("fp8", "tf32"), sizes=(16,)), "cpu")
    run.steps = [s for s in run.steps if s.skip]
    assert run.steps and estimated_seconds(run) > 0


def test_a_real_cpu_run_reports_every_step_and_ends_at_its_total():
    config = ValidationConfig(
        dtypes=("fp32", "fp8"),
        sizes=(16, 32),
        copy_mib=1,
        transfer_mib=1,
        cpu_size=16,
        warmup_s=0.001,
        measure_s=0.005,
        min_repeats=2,
    )
    run = ValidationRun(config, "cpu")
    reports: list[tuple[float, float, str]] = []
    results = run.run(progress=lambda done, total, note: reports.append((done, total, note)))
    assert [note for _, _, note in reports] == [s.label for s in run.steps] + ["done"]
    assert len(results) == len(run.steps)
    assert all(done <= total + 1e-9 for done, total, _ in reports)
    assert reports[-1][0] == pytest.approx(reports[-1][1])
    assert {s.label for s in run.steps if s.skip} == {
        "matmul fp8 16³",
        "matmul fp8 32³",
        "h2d pinned",
        "h2d pageable",
        "d2h pinned",
        "d2h pageable",
    }
