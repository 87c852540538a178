"""marimo building blocks shared by every notebook: profile, run gate, GPU card, callouts, monitor.

Import marimo lazily is not needed here: these blocks only make sense inside a marimo notebook.
"""

from gpulab.ui.callouts import (
    error_callout,
    missing_dependency_callout,
    no_gpu_callout,
    oom_callout,
)
from gpulab.ui.gate import require_gpu, run_gate
from gpulab.ui.gpu_card import gpu_card
from gpulab.ui.monitor import telemetry_chart, telemetry_panel
from gpulab.ui.profile import Profile, read_profile

__all__ = [
    "Profile",
    "error_callout",
    "gpu_card",
    "missing_dependency_callout",
    "no_gpu_callout",
    "oom_callout",
    "read_profile",
    "require_gpu",
    "run_gate",
    "telemetry_chart",
    "telemetry_panel",
]
