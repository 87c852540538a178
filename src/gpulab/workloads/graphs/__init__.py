"""Graph analytics: networkx against our torch kernels on a device CSR, and nx-cugraph.

The real graphs networkx ships (karate club, Les Misérables, Florentine families, Davis' southern
women) prove correctness; generated ones (R-MAT with Graph500's parameters, Erdős–Rényi G(n, m),
Barabási–Albert), drawn in torch on the GPU, carry the scale, from 10^4 to past 10^8 edges. Six
algorithms run on every engine from the same task: PageRank (networkx's exact semantics and
stopping rule), BFS levels, connected components, triangles per node, core numbers and
betweenness (exact, or from the k sources networkx samples for the seed). Every answer of ours
and nx-cugraph's is checked node by node against networkx's wherever networkx finishes under
its cap; a check that cannot run says why.

Read in this order: `config` (what runs), `real` and `generators` (the graphs), `csr` (the
device layout and its conversions), the kernels in `kernels/` (`pagerank`, `bfs`, `components`,
`triangles`, `kcore`, `betweenness`), then `sizing` (what fits), `engines` (what can run here), `tasks`,
`torch_engine` and `networkx_engine` (one call per algorithm per engine), `checks`, `prepare`,
`results` and `suite` (the runner). Importing the package loads neither torch nor networkx nor
scipy: the torch-backed names below are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .checks import TOLERANCES, CheckResult, Outcome, compare, skipped_check, summarise
from .config import (
    ALGORITHMS,
    BETWEENNESS_ATOL,
    CUGRAPH,
    EDGE_FACTOR,
    ENGINES,
    GENERATED,
    KINDS,
    NEEDS_UNDIRECTED,
    NETWORKX,
    OURS,
    PAGERANK_ALPHA,
    PAGERANK_ATOL,
    PAGERANK_MAX_ITER,
    PAGERANK_TOL,
    REAL_GRAPHS,
    RMAT_A,
    RMAT_B,
    RMAT_C,
    GraphConfig,
    GraphSpec,
)
from .engines import (
    LABELS,
    UNVERIFIED,
    EngineStatus,
    engine_status,
    nx_cugraph_hint,
    require_nx_cugraph,
)
from .real import REAL, real_graph
from .results import GraphInfo, GraphRow, SuiteResult
from .sizing import (
    NETWORKX_BYTES_PER_EDGE,
    OURS_BYTES_PER_EDGE,
    GraphTooLarge,
    SizeFit,
    largest_fit,
)

# The submodules that import torch, and the names they give this package (imported on first use).
_TORCH_BACKED: dict[str, tuple[str, ...]] = {
    "kernels.betweenness": ("betweenness", "rescale", "sample_sources"),
    "kernels.bfs": ("UNREACHED", "bfs_levels", "levels_as_dict"),
    "kernels.components": ("component_count", "connected_components"),
    "csr": ("Csr", "from_edges", "from_networkx", "to_networkx"),
    "generators": (
        "EdgeList",
        "barabasi_albert",
        "barabasi_albert_edges",
        "erdos_renyi",
        "generate",
        "generate_edges",
        "rmat",
        "rmat_edges",
        "rmat_scale_for",
    ),
    "kernels.kcore": ("core_numbers",),
    "networkx_engine": ("networkx_call", "networkx_outcome"),
    "kernels.pagerank": ("PageRank", "pagerank"),
    "prepare": ("PreparedGraph", "prepare_graph"),
    "suite": ("resolve_device", "run_suite"),
    "tasks": ("Task", "make_task"),
    "torch_engine": ("ours_call", "ours_outcome"),
    "kernels.triangles": ("triangle_total", "triangles"),
}
_MODULE_OF = {name: module for module, names in _TORCH_BACKED.items() for name in names}


def __getattr__(name: str) -> Any:
    """A torch-backed name, imported from its submodule the first time it is asked for."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ALGORITHMS",
    "BETWEENNESS_ATOL",
    "CUGRAPH",
    "EDGE_FACTOR",
    "ENGINES",
    "GENERATED",
    "KINDS",
    "LABELS",
    "NEEDS_UNDIRECTED",
    "NETWORKX",
    "NETWORKX_BYTES_PER_EDGE",
    "OURS",
    "OURS_BYTES_PER_EDGE",
    "PAGERANK_ALPHA",
    "PAGERANK_ATOL",
    "PAGERANK_MAX_ITER",
    "PAGERANK_TOL",
    "REAL",
    "REAL_GRAPHS",
    "RMAT_A",
    "RMAT_B",
    "RMAT_C",
    "TOLERANCES",
    "UNREACHED",
    "UNVERIFIED",
    "CheckResult",
    "Csr",
    "EdgeList",
    "EngineStatus",
    "GraphConfig",
    "GraphInfo",
    "GraphRow",
    "GraphSpec",
    "GraphTooLarge",
    "Outcome",
    "PageRank",
    "PreparedGraph",
    "SizeFit",
    "SuiteResult",
    "Task",
    "barabasi_albert",
    "barabasi_albert_edges",
    "betweenness",
    "bfs_levels",
    "compare",
    "component_count",
    "connected_components",
    "core_numbers",
    "engine_status",
    "erdos_renyi",
    "from_edges",
    "from_networkx",
    "generate",
    "generate_edges",
    "largest_fit",
    "levels_as_dict",
    "make_task",
    "networkx_call",
    "networkx_outcome",
    "nx_cugraph_hint",
    "ours_call",
    "ours_outcome",
    "pagerank",
    "prepare_graph",
    "real_graph",
    "require_nx_cugraph",
    "rescale",
    "resolve_device",
    "rmat",
    "rmat_edges",
    "rmat_scale_for",
    "run_suite",
    "sample_sources",
    "skipped_check",
    "summarise",
    "to_networkx",
    "triangle_total",
    "triangles",
]
