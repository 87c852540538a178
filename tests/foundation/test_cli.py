import json
import subprocess
import sys

import pytest
import torch

GPULAB = [sys.executable, "-m", "gpulab.cli"]


def gpulab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GPULAB, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "no-such-benchmark"], "unknown benchmark 'no-such-benchmark'"),
        (["serve", "--port", "abc"], "invalid port 'abc'"),
        (["serve", "--port", "70000"], "must be between 1 and 65535"),
        (["serve", "--dir", "no/such/folder"], "does not exist"),
        (["bench", "gpu", "--profile", "huge"], "invalid choice: 'huge'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = gpulab(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="describes a machine without NVML")
def test_monitor_without_nvml_is_one_line_and_exit_2() -> None:
    result = gpulab("monitor", "--duration", "1")
    assert result.returncode == 2
    assert "telemetry needs NVML" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="describes a machine without a GPU")
def test_doctor_reports_a_clean_cpu_machine() -> None:
    text = gpulab("doctor")
    assert text.returncode == 0
    assert "GPUs: none found" in text.stdout
    assert "marimo 0.25" in text.stdout
    report = json.loads(gpulab("doctor", "--json").stdout)
    assert report["system"]["has_gpu"] is False
    missing = [lib for lib in report["libraries"] if not lib["found"]]
    assert all(lib["install"].startswith("pip install") for lib in missing)
    assert {"transformers", "cudf", "onnxruntime"} <= {lib["module"] for lib in report["libraries"]}


def test_help_lists_every_subcommand() -> None:
    out = gpulab("--help").stdout
    for command in ("doctor", "serve", "monitor", "bench", "lint", "test", "new"):
        assert command in out
