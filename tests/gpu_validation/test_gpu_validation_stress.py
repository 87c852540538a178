"""The stress worker on a CPU load: it runs, reports, is stopped exactly, and catches bad numbers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import torch

from gpulab.workloads.gpu_validation.config import StressConfig
from gpulab.workloads.gpu_validation.stress import StressRun, active_runs, group_members
from gpulab.workloads.gpu_validation.stress_load import (
    count_mismatches,
    reference_product,
    tolerance,
)
from gpulab.workloads.gpu_validation.stress_report import device_reports, load_window

QUICK = {"interval_s": 0.3, "check_every": 2}


def _gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for a reaper that is not us."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_for(predicate, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_cpu_stress_runs_its_duration_checks_every_product_and_leaves_nothing():
    run = StressRun(StressConfig.for_machine([], 1.5, cuda_available=False, **QUICK)).start()
    assert run.running and group_members(run.pgid) == [run.pid]
    reports: list[tuple[float, float, str]] = []
    assert run.wait(timeout_s=120, progress=lambda *report: reports.append(report))
    # Progress counts seconds of load (start-up is not load), up to the duration, in order.
    loaded = [done for done, _, _ in reports]
    assert loaded == sorted(loaded) and max(loaded[:-1]) <= 1.5
    assert reports[-1] == (1.5, 1.5, "done") and {total for _, total, _ in reports} == {1.5}
    summary = run.summary()
    assert summary.stop_reason == "duration" and summary.ended == "ran its full duration"
    assert summary.returncode == 0
    assert summary.passed and summary.checks > 0 and summary.mismatches == 0
    device = summary.devices["cpu"]
    assert device.intervals >= 1 and device.iterations >= device.checks * 2
    assert device.worst_error_ratio < 1
    assert run.leftover_processes() == [] and not psutil.pid_exists(run.pid)
    assert run not in active_runs()


def test_stop_on_demand_ends_the_worker_group_and_nothing_else():
    # A process in *our* group stands in for everything else on the machine.
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    run = StressRun(StressConfig.for_machine([], 300, cuda_available=False, **QUICK)).start()
    try:
        assert _wait_for(lambda: run.events("interval")), run.log()
        run.stop()
        assert not run.running
        assert run.stop_reason == "stopped"
        assert run.summary().ended == "stopped on demand"
        assert run.events("done")[-1]["reason"] == "stopped"  # it ended on SIGTERM, cleanly
        assert run.leftover_processes() == [] and not psutil.pid_exists(run.pid)
        assert bystander.poll() is None  # untouched
        run.stop()  # a second stop is a no-op
    finally:
        bystander.kill()
        bystander.wait()


def test_a_planted_wrong_element_is_counted_as_a_mismatch():
    config = StressConfig.for_machine(
        [], 1.5, cuda_available=False, inject_error_at_check=3, **QUICK
    )
    run = StressRun(config).start()
    assert run.wait(timeout_s=120)
    summary = run.summary()
    assert summary.checks >= 3
    assert summary.mismatches == 1
    assert not summary.passed
    assert summary.devices["cpu"].worst_error_ratio > 1


def test_worker_exits_when_the_notebook_kernel_dies():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from gpulab.workloads.gpu_validation import StressConfig, StressRun\n"
            "run = StressRun(StressConfig.for_machine([], 300, cuda_available=False)).start()\n"
            "print(run.pid, flush=True)\n"
            "time.sleep(300)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    worker = int(parent.stdout.readline())
    try:
        assert psutil.pid_exists(worker)
        os.kill(parent.pid, signal.SIGKILL)  # no atexit, no cleanup: a crashed kernel
        parent.wait()
        assert _wait_for(lambda: _gone(worker), timeout_s=30)
    finally:
        if not _gone(worker):
            os.killpg(worker, signal.SIGKILL)


def test_rounding_differences_pass_and_a_flipped_value_fails():
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(128, 128, generator=generator, dtype=torch.bfloat16)
    b = torch.randn(128, 128, generator=generator, dtype=torch.bfloat16)
    reference = reference_product(a, b)
    assert reference.dtype == torch.float32
    tol = tolerance(reference, torch.bfloat16, 128)
    product = a @ b
    bad, worst = count_mismatches(product, reference, tol)
    assert int(bad) == 0 and float(worst) < 1
    product.view(-1)[7] = -product.view(-1)[7] - 8  # a sign flip: the kind of error SDC makes
    bad, worst = count_mismatches(product, reference, tol)
    assert int(bad) == 1 and float(worst) > 1


def test_settings_are_validated_and_gpu_runs_need_a_gpu():
    with pytest.raises(ValueError, match="dtype"):
        StressConfig(dtype="fp64")
    with pytest.raises(ValueError, match="positive"):
        StressConfig(duration_s=0)
    with pytest.raises(ValueError, match="at least one GPU"):
        StressConfig.for_machine([], 10, cuda_available=True)
    cpu = StressConfig.for_machine([0, 1], 10, cuda_available=False)
    assert cpu.on_cpu and cpu.dtype == "fp32"


def test_worker_sees_exactly_the_chosen_gpus():
    run = StressRun(StressConfig(gpus=(1, 3), duration_s=5))
    command = " ".join(run.command())
    assert "--devices=cuda:0,cuda:1" in command and "--labels=1,3" in command
    env = run.environment()
    assert env["CUDA_VISIBLE_DEVICES"]  # UUIDs with NVML, indices in PCI order without
    if not env["CUDA_VISIBLE_DEVICES"].startswith("GPU-"):
        assert env["CUDA_VISIBLE_DEVICES"] == "1,3"
        assert env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert StressRun(StressConfig()).environment()["CUDA_VISIBLE_DEVICES"] == ""


def test_reports_add_up_per_device_and_the_first_interval_is_not_steady():
    def interval(t, iterations, seconds, checks=1, mismatches=0):
        return {
            "event": "interval",
            "device": "cuda:0",
            "gpu": 2,
            "t": t,
            "seconds": seconds,
            "iterations": iterations,
            "tflops": iterations * 2.0 / seconds / 1e12,
            "checks": checks,
            "mismatches": mismatches,
            "worst_error_ratio": 0.1,
        }

    events = [
        {"event": "start", "pid": 1},
        {"event": "ready", "device": "cuda:0", "gpu": 2, "t": 10.0},
        interval(11.0, 10, 1.0),  # clocks still settling: counted, but not in the steady rate
        interval(12.0, 40, 1.0),
        interval(13.0, 20, 1.0, mismatches=1),
    ]
    stats = device_reports(events, flops_per_product=2.0)["cuda:0"]
    assert stats.gpu == 2 and stats.intervals == 3 and stats.iterations == 70
    assert stats.checks == 3 and stats.mismatches == 1
    assert stats.sustained_tflops == pytest.approx(60 * 2.0 / 2.0 / 1e12)
    assert stats.min_tflops < stats.max_tflops
    assert load_window(events, fallback_end=99.0) == (10.0, 13.0)
    assert load_window(events[:2], fallback_end=99.0) == (10.0, 99.0)
