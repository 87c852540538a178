"""Third-party-style fixture notebooks and one way to run `gpulab test` on them for real."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runner"


@dataclass
class Run:
    """One `gpulab test` invocation: exit status, output, and report.json rows by notebook name."""

    returncode: int
    stdout: str
    stderr: str
    report_dir: Path
    profile: str

    @property
    def rows(self) -> dict[str, dict[str, Any]]:
        """This run's rows (report.json may hold other profiles' too) by notebook file name."""
        entries = json.loads((self.report_dir / "report.json").read_text(encoding="utf-8"))
        return {
            Path(entry["notebook"]).name: entry
            for entry in entries
            if entry["profile"] == self.profile
        }


class GpulabTest(Protocol):
    def __call__(self, *args: str, report_dir: Path, env: dict[str, str] | None = None) -> Run: ...


def _gpulab_test(*args: str, report_dir: Path, env: dict[str, str] | None = None) -> Run:
    """Run the real command in a subprocess, as CI and users do."""
    command = [sys.executable, "-m", "gpulab.cli", "test", *args, "--report", str(report_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    profile = args[args.index("--profile") + 1] if "--profile" in args else "smoke"
    return Run(done.returncode, done.stdout, done.stderr, report_dir, profile)


@pytest.fixture
def gpulab_test() -> GpulabTest:
    return _gpulab_test


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The error, gate, clean, run-button and caught-failure notebooks through one smoke run."""
    names = [
        "error_then_independent.py",
        "gpu_gate.py",
        "clean.py",
        "run_button_chart.py",
        "caught_failure.py",
    ]
    report_dir = tmp_path_factory.mktemp("smoke-report")
    return _gpulab_test(*(str(FIXTURES / name) for name in names), report_dir=report_dir)


@pytest.fixture(scope="session")
def full_run(smoke_run: Run) -> Run:
    """clean.py and the smoke-only run gate in the full profile, merged into smoke_run's report."""
    names = ["clean.py", "run_button_chart.py"]
    paths = [str(FIXTURES / name) for name in names]
    return _gpulab_test(*paths, "--profile", "full", report_dir=smoke_run.report_dir)
