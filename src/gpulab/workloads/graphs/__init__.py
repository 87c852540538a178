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
`results` and `suite` (the runner). The notebook's side: `choices` (controls -> config),
`edge_list` (a graph you type), `display` and `meaning` (what a run shows), `drawing` (the small
graphs, coloured). Importing the package loads neither torch nor networkx nor scipy: the
torch-backed names below are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .checks import TOLERANCES, CheckResult, Outcome, compare, skipped_check, summarise
from .choices import (
    ALGORITHM_LABELS,
    GRAPH_LABELS,
    STRICT_L1,
    Choice,
    chosen_config,
    chosen_graphs,
    default_choice,
    describe_sizes,
    selection_problems,
    size_steps,
    sizes_between,
)
from .config import (
    ALGORITHMS,
    BETWEENNESS_ATOL,
    CUGRAPH,
    EDGE_FACTOR,
    EDGE_LIST,
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
from .display import (
    algorithms_run,
    chart_points,
    check_rows,
    check_verdict,
    conversion_table,
    converted_notes,
    cpu_note,
    engine_colors,
    family,
    format_rate,
    format_ratio,
    pagerank_rule_rows,
    speedup,
    timing_table,
    unrun_notes,
)
from .edge_list import edge_list_spec, parse_edge_list
from .engines import (
    LABELS,
    UNVERIFIED,
    EngineStatus,
    engine_status,
    nx_cugraph_hint,
    require_nx_cugraph,
)
from .meaning import meaning_lines, meaning_text
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
    "drawing": ("COLOUR_BY", "Drawing", "draw_graph"),
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
    "suite": ("AUTO_DEVICE", "device_choices", "planned_work", "resolve_device", "run_suite"),
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
    "ALGORITHM_LABELS",
    "AUTO_DEVICE",
    "BETWEENNESS_ATOL",
    "COLOUR_BY",
    "CUGRAPH",
    "EDGE_FACTOR",
    "EDGE_LIST",
    "ENGINES",
    "GENERATED",
    "GRAPH_LABELS",
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
    "STRICT_L1",
    "TOLERANCES",
    "UNREACHED",
    "UNVERIFIED",
    "CheckResult",
    "Choice",
    "Csr",
    "Drawing",
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
    "algorithms_run",
    "barabasi_albert",
    "barabasi_albert_edges",
    "betweenness",
    "bfs_levels",
    "chart_points",
    "check_rows",
    "check_verdict",
    "chosen_config",
    "chosen_graphs",
    "compare",
    "component_count",
    "connected_components",
    "conversion_table",
    "converted_notes",
    "core_numbers",
    "cpu_note",
    "default_choice",
    "describe_sizes",
    "device_choices",
    "draw_graph",
    "edge_list_spec",
    "engine_colors",
    "engine_status",
    "erdos_renyi",
    "family",
    "format_rate",
    "format_ratio",
    "from_edges",
    "from_networkx",
    "generate",
    "generate_edges",
    "largest_fit",
    "levels_as_dict",
    "make_task",
    "meaning_lines",
    "meaning_text",
    "networkx_call",
    "networkx_outcome",
    "nx_cugraph_hint",
    "ours_call",
    "ours_outcome",
    "pagerank",
    "pagerank_rule_rows",
    "parse_edge_list",
    "planned_work",
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
    "selection_problems",
    "size_steps",
    "sizes_between",
    "skipped_check",
    "speedup",
    "summarise",
    "timing_table",
    "to_networkx",
    "triangle_total",
    "triangles",
    "unrun_notes",
]
