"""The three engines and whether each can run here (checked without importing the heavy ones).

- `networkx`: the reference, pure Python on the CPU (its PageRank goes through scipy).
- `gpulab-torch`: our kernels on the device CSR (a CUDA GPU where there is one, else the CPU).
- `nx-cugraph`: NVIDIA's networkx backend, the same networkx calls with `backend="cugraph"`;
  where it is not installed it is reported as "not installed — unverified" with its install
  command, never silently left out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gpulab.errors import MissingDependencyError

from .config import CUGRAPH, NETWORKX, OURS

LABELS = {
    NETWORKX: "networkx (CPU)",
    OURS: "gpulab-torch",
    CUGRAPH: "nx-cugraph (networkx GPU backend)",
}
UNVERIFIED = "not installed — unverified"


@dataclass(frozen=True)
class EngineStatus:
    """Whether an engine can run here; if not, why, and the command that would fix it."""

    name: str
    available: bool
    reason: str = ""
    hint: str = ""
    version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"label": LABELS[self.name]}


def cuda_major() -> int:
    """The CUDA major version the driver supports (12 or 13, for RAPIDS wheels); 12 if unknown."""
    from gpulab import nvml

    if not nvml.ensure():
        return 12
    version = nvml.query(nvml.module().nvmlSystemGetCudaDriverVersion, None)
    return 13 if version and version >= 13000 else 12


def nx_cugraph_hint() -> str:
    """The pip command that installs nx-cugraph for this machine's CUDA driver."""
    return f"pip install nx-cugraph-cu{cuda_major()}"


def require_nx_cugraph() -> None:
    """Raise MissingDependencyError (with the install command) unless nx-cugraph can run."""
    status = engine_status(CUGRAPH)
    if not status.available:
        raise MissingDependencyError(
            "nx-cugraph", status.hint or nx_cugraph_hint(), f"the {CUGRAPH} engine"
        )


def engine_status(name: str, device: str | None = None) -> EngineStatus:
    """Check an engine with `find_spec` only; `device` is where ours would run."""
    from gpulab.deps import is_available

    if name == NETWORKX:
        if not is_available("networkx") or not is_available("scipy"):
            hint = "pip install 'gpulab[graphs]'"
            return EngineStatus(name, False, "networkx or scipy is not installed", hint)
        return EngineStatus(name, True, version=_version("networkx"))
    if name == OURS:
        return EngineStatus(name, True, reason=f"on {device or 'the chosen device'}")
    if name == CUGRAPH:
        return _cugraph_status()
    raise ValueError(f"unknown engine {name!r}")


def _cugraph_status() -> EngineStatus:
    from gpulab import nvml
    from gpulab.deps import is_available

    if not is_available("nx_cugraph"):
        return EngineStatus(CUGRAPH, False, UNVERIFIED, nx_cugraph_hint())
    if nvml.device_count() == 0:
        return EngineStatus(CUGRAPH, False, "no NVIDIA GPU is visible (NVML found none)")
    return EngineStatus(CUGRAPH, True, version=_version("nx-cugraph-cu12", "nx-cugraph-cu13"))


def _version(*distributions: str) -> str | None:
    import importlib.metadata

    for distribution in distributions:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None
