"""How large a graph fits: edges from free GPU memory (`gpulab.memory_budget.free_and_total`) and host memory.

Our engine's working set per undirected edge, on its device: the raw generated stream and its
sort while deduplicating (int64 keys, both directions), then the CSR (two int32 entries per edge),
a float64 value per entry for the sparse products, and the edge-wide temporaries of the largest
kernel (components gathers an int64 label per entry). networkx holds each edge as dicts in host
memory, and `nx.pagerank` copies it into a scipy matrix on top.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gpulab.errors import UsageError

from .config import EDGE_FACTOR, GraphSpec

# Bytes per undirected edge at the peak of generation + conversion + one algorithm (ours), and
# per edge of a networkx Graph plus its scipy copy (networkx), with a margin. Peak allocated
# CUDA memory on R-MAT graphs of 10^7 and 10^8 edges: about 140 B/edge while drawing and
# deduplicating, 130 while building the CSR, then CSR + kernel up to about 195 (triangles at
# 10^7, its fixed-size wedge chunk included) and 160 (betweenness' dense source matrices).
OURS_BYTES_PER_EDGE = 224
NETWORKX_BYTES_PER_EDGE = 600
HEADROOM = 0.8  # the share of free memory a plan may take (allocator slack, other processes)


class GraphTooLarge(UsageError):
    """A graph does not fit: how many edges it has, the largest that fits, and which memory."""

    def __init__(self, what: str, requested_edges: int, fit: SizeFit) -> None:
        self.what = what
        self.requested_edges = requested_edges
        self.max_edges = fit.max_edges
        self.limited_by = fit.limited_by
        self.fit = fit
        need = requested_edges * fit.bytes_per_edge / 2**30
        super().__init__(
            f"{what} ({requested_edges:,} edges) does not fit: it needs about {need:.1f} GiB of "
            f"{fit.limited_by} ({fit.available_bytes / 2**30:.1f} GiB available); the largest "
            f"that fits is about {fit.max_edges:,} edges"
        )


@dataclass(frozen=True)
class SizeFit:
    """The most edges a graph may have on one device (ours) and in host memory (networkx)."""

    device: str
    max_edges: int
    limited_by: str  # "GPU memory" or "host memory"
    available_bytes: int
    bytes_per_edge: float
    networkx_max_edges: int
    host_available_bytes: int
    gpu_free_bytes: int | None = None

    def fits(self, edges: int) -> bool:
        return edges <= self.max_edges

    def check(self, spec: GraphSpec) -> None:
        """Raise `GraphTooLarge` (naming the largest size that fits) for a graph too big."""
        if spec.generated and not self.fits(spec.edges):
            raise GraphTooLarge(spec.name, spec.edges, self)

    def largest_rmat(self, edge_factor: int = EDGE_FACTOR) -> GraphSpec:
        """The largest power-of-ten R-MAT graph that fits (for a size slider's maximum)."""
        power = 4
        while 10 ** (power + 1) <= self.max_edges:
            power += 1
        return GraphSpec("rmat", 10**power, edge_factor)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def largest_fit(
    device: Any = None,
    *,
    gpu_free_bytes: int | None = None,
    host_available_bytes: int | None = None,
    bytes_per_edge: float = OURS_BYTES_PER_EDGE,
    networkx_bytes_per_edge: float = NETWORKX_BYTES_PER_EDGE,
) -> SizeFit:
    """The largest graph (undirected edges) that fits free memory on `device` (None: the first
    CUDA GPU where torch sees one, else the CPU). Pass the byte counts to plan for another
    machine."""
    device = _resolve(device)
    host = _host_available() if host_available_bytes is None else host_available_bytes
    networkx_max = int(host * HEADROOM // networkx_bytes_per_edge)
    if device.startswith("cuda"):
        gpu = _gpu_free(device) if gpu_free_bytes is None else gpu_free_bytes
        edges = int(gpu * HEADROOM // bytes_per_edge)
        return SizeFit(device, edges, "GPU memory", gpu, bytes_per_edge, networkx_max, host, gpu)
    edges = int(host * HEADROOM // bytes_per_edge)
    return SizeFit(device, edges, "host memory", host, bytes_per_edge, networkx_max, host)


def _resolve(device: Any) -> str:
    if device is not None:
        return str(device)
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _gpu_free(device: str) -> int:
    from gpulab.memory_budget import free_and_total

    free, _total = free_and_total(device)
    return int(free)


def _host_available() -> int:
    import psutil

    return int(psutil.virtual_memory().available)
