"""The headline figures of a run: the best size per format, the copy, the transfers, the CPU peer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gpulab.workloads.gpu_validation.results import BandwidthResult, MatmulResult, Result


@dataclass
class ValidationSummary:
    """The headline figures of a validation run."""

    best_matmul: dict[str, MatmulResult] = field(default_factory=dict)  # dtype -> best size
    copy: BandwidthResult | None = None
    transfers: list[BandwidthResult] = field(default_factory=list)
    cpu_matmul: MatmulResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_matmul": {k: v.to_dict() for k, v in self.best_matmul.items()},
            "copy": self.copy.to_dict() if self.copy else None,
            "transfers": [t.to_dict() for t in self.transfers],
            "cpu_matmul": self.cpu_matmul.to_dict() if self.cpu_matmul else None,
        }


def summarise(results: list[Result]) -> ValidationSummary:
    """Best size per dtype (by median TFLOPS), the copy, the transfers and the CPU peer.

    cuBLAS tiles fit some sizes better than others, so a format's figure is its best size.
    """
    summary = ValidationSummary()
    for result in results:
        if isinstance(result, MatmulResult):
            if result.is_cpu_peer:
                summary.cpu_matmul = result
            elif result.tflops is not None:
                best = summary.best_matmul.get(result.dtype)
                if best is None or result.tflops > (best.tflops or 0):
                    summary.best_matmul[result.dtype] = result
        elif result.kind in ("device copy", "host copy"):
            summary.copy = result
        else:
            summary.transfers.append(result)
    return summary
