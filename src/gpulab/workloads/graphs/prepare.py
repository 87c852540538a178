"""One graph ready for every engine: the device CSR, and the networkx graph when networkx runs.

Each conversion is timed on its own (drawing a generated edge list, edge list -> device CSR,
networkx graph -> CSR, CSR -> networkx graph), so no algorithm's time hides a conversion. The
undirected versions a directed graph needs are built once, outside any algorithm's timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import torch

from gpulab.timing import benchmark

from .config import EDGE_LIST, NEEDS_UNDIRECTED, GraphSpec
from .csr import Csr, from_edges, from_networkx, to_networkx
from .edge_list import edge_list_nodes
from .generators import generate_edges
from .real import real_graph
from .results import GraphInfo

T = TypeVar("T")
UNDIRECTED_NOTE = "directed input converted to undirected ({edges:,} edges), as networkx needs"


def timed(fn: Callable[[], T], device: torch.device | str) -> tuple[T, float]:
    """`fn()` once, and its seconds (CUDA events on a GPU): for one-off conversions."""
    kept: list[T] = []
    timing = benchmark(lambda: kept.append(fn()), warmup=0, repeats=1, device=_cuda_or_none(device))
    return kept[0], timing.median_s


def _cuda_or_none(device: torch.device | str) -> str | None:
    return str(device) if str(device).startswith("cuda") else None


@dataclass
class PreparedGraph:
    """A graph of the suite in every form the engines read, built on first use."""

    spec: GraphSpec
    csr: Csr
    info: GraphInfo
    nx_graph: Any = None
    _undirected: dict[str, Any] = field(default_factory=dict)

    def networkx(self) -> Any:
        """The networkx graph (built from the CSR and timed, for a generated graph)."""
        if self.nx_graph is None:
            self.nx_graph, self.info.to_networkx_s = timed(lambda: to_networkx(self.csr), "cpu")
        return self.nx_graph

    def csr_for(self, algorithm: str) -> tuple[Csr, str]:
        """The CSR `algorithm` runs on, and a note when a directed graph was made undirected."""
        if not (self.csr.directed and algorithm in NEEDS_UNDIRECTED):
            return self.csr, ""
        if "csr" not in self._undirected:
            self._undirected["csr"] = self.csr.to_undirected()
        undirected = self._undirected["csr"]
        return undirected, UNDIRECTED_NOTE.format(edges=undirected.n_edges)

    def networkx_for(self, algorithm: str) -> tuple[Any, str]:
        """The networkx graph `algorithm` runs on (`G.to_undirected()` where it needs one)."""
        graph = self.networkx()
        if not (graph.is_directed() and algorithm in NEEDS_UNDIRECTED):
            return graph, ""
        if "nx" not in self._undirected:
            self._undirected["nx"] = graph.to_undirected()
        undirected = self._undirected["nx"]
        return undirected, UNDIRECTED_NOTE.format(edges=undirected.number_of_edges())


def prepare_graph(spec: GraphSpec, device: torch.device | str, seed: int = 0) -> PreparedGraph:
    """Build `spec` on `device`: generated on the device, or loaded from networkx and converted."""
    spec.validate()
    generate_s, drawn = None, 0
    if spec.generated:
        edges, generate_s = timed(lambda: generate_edges(spec, seed, device), device)
        csr, to_csr_s = timed(edges.to_csr, device)
        drawn = edges.drawn
        del edges
        nx_graph = None
    elif spec.kind == EDGE_LIST:  # networkx's graph is built from the CSR, simple like it
        csr, to_csr_s = timed(lambda: edge_list_csr(spec, device), device)
        nx_graph = None
    else:
        nx_graph = real_graph(spec.kind)
        csr, to_csr_s = timed(lambda: from_networkx(nx_graph, device=device), device)
    info = GraphInfo(
        name=spec.name,
        kind=spec.kind,
        nodes=csr.n_nodes,
        edges=csr.n_edges,
        directed=csr.directed,
        weighted=csr.weights is not None,
        device=str(device),
        generate_s=generate_s,
        drawn_edges=drawn,
        to_csr_s=to_csr_s,
        csr_mib=csr.nbytes() / 2**20,
        dropped_self_loops=csr.dropped_self_loops,
        dropped_duplicates=csr.dropped_duplicates,
    )
    return PreparedGraph(spec, csr, info, nx_graph)


def edge_list_csr(spec: GraphSpec, device: torch.device | str) -> Csr:
    """The CSR of an edge-list spec, its node names kept as labels."""
    labels, src, dst = edge_list_nodes(spec.pairs)
    return from_edges(src, dst, len(labels), directed=spec.directed, labels=labels, device=device)
