"""Physics-informed neural networks on PDEs with exact solutions, judged by relative L2 error.

Importing this package is cheap: the config is plain data, and the torch parts (`train`,
`problem_for`, the charts) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from gpulab.workloads.pinn.config import (
    BURGERS_NU,
    OPTIMIZER_LABELS,
    OPTIMIZERS,
    PDE_LABELS,
    PDES,
    SWITCH_LABELS,
    SWITCHES,
    PinnConfig,
    axes_for,
    best,
    raissi,
)

_LAZY = {
    "train": "loop",
    "TrainResult": "loop",
    "LogPoint": "loop",
    "Trainer": "loop",
    "problem_for": "problems",
    "burgers_exact": "cole_hopf",
    "burgers_exact_dx": "cole_hopf",
    "burgers_trapezoid": "cole_hopf",
    "loss_chart": "display",
    "error_chart": "display",
    "field_maps": "display",
    "slice_chart": "display",
    "compare": "methods",
    "source_of": "excerpt",
    "method_configs": "methods",
}

__all__ = [
    "BURGERS_NU",
    "OPTIMIZERS",
    "OPTIMIZER_LABELS",
    "PDES",
    "PDE_LABELS",
    "SWITCHES",
    "SWITCH_LABELS",
    "PinnConfig",
    "axes_for",
    "best",
    "raissi",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
