"""marimo building blocks shared by every notebook: profile, run gate, guarded step, GPU card,
callouts, monitor. marimo itself is imported inside each block, so importing this package is cheap.
"""

from gpulab.profiles import Profile, read_profile
from gpulab.ui.callouts import (
    error_callout,
    missing_dependency_callout,
    no_gpu_callout,
    oom_callout,
)
from gpulab.ui.gate import require_gpu, run_gate
from gpulab.ui.gpu_card import gpu_card
from gpulab.ui.guide import run_guide
from gpulab.ui.monitor import telemetry_chart, telemetry_panel
from gpulab.ui.progress import work_progress
from gpulab.ui.stats import stat_row as stat_row  # noqa: F401 - re-exported
from gpulab.ui.step import failure_callout, gpu_step

__all__ = [
    "Profile",
    "error_callout",
    "failure_callout",
    "gpu_card",
    "gpu_step",
    "missing_dependency_callout",
    "no_gpu_callout",
    "oom_callout",
    "read_profile",
    "require_gpu",
    "run_guide",
    "run_gate",
    "telemetry_chart",
    "telemetry_panel",
    "work_progress",
]
