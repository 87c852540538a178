"""What the notebook's controls chose, as a suite config, and what is wrong with a choice.

The controls start from `GraphConfig.for_profile`: its graph kinds, the range of its generated
sizes, its algorithms, engines and repeats. Every chosen generated kind runs at every power of
ten in the size range (a spec of the profile's own at that size is reused, with its algorithm
list); `selection_problems` names an empty or invalid choice beside the controls, before a run,
and `chosen_config` refuses it with the same words. Nothing here imports torch or networkx.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from gpulab.errors import UsageError

from .config import (
    ALGORITHMS,
    EDGE_LIST,
    ENGINES,
    GENERATED,
    KINDS,
    NETWORKX,
    OURS,
    REAL_GRAPHS,
    GraphConfig,
    GraphSpec,
)
from .edge_list import edge_list_nodes, edge_list_spec
from .sizing import SizeFit

GRAPH_LABELS = {
    "karate": "karate club (real, 34 nodes)",
    "les_miserables": "Les Misérables (real, 77 nodes)",
    "florentine": "Florentine families (real, 15 nodes)",
    "davis": "Davis southern women (real, 32 nodes)",
    "rmat": "R-MAT (Graph500)",
    "erdos_renyi": "Erdős–Rényi G(n, m)",
    "barabasi_albert": "Barabási–Albert",
    EDGE_LIST: "my edge list (typed below)",
}
ALGORITHM_LABELS = {
    "pagerank": "PageRank",
    "bfs": "BFS levels",
    "components": "connected components",
    "triangles": "triangles per node",
    "kcore": "core numbers (k-core)",
    "betweenness": "betweenness centrality",
}
SMALLEST_SIZE = 10**4
STRICT_L1 = 1e-6  # the strict rule: stop once the L1 change is below 1e-6, whatever N
# Directed versions are drawn for the kinds whose generator draws directed edges.
DIRECTED_KINDS = ("rmat", "erdos_renyi")


@dataclass(frozen=True)
class Choice:
    """The controls' values: graph kinds, the generated size range (edges), algorithms, the
    optional engines (networkx, nx-cugraph), ours' device (None: the first GPU, else the CPU),
    directed versions, the strict PageRank rule, timed repeats and an edge list's text."""

    kinds: tuple[str, ...]
    sizes: tuple[int, int]
    algorithms: tuple[str, ...]
    engines: tuple[str, ...]
    device: str | None = None
    directed: bool = False
    strict_pagerank: bool = False
    repeats: int = 3
    edge_text: str = ""
    edge_list_directed: bool = False


def size_steps(fit: SizeFit, lowest: int = SMALLEST_SIZE) -> list[int]:
    """The size slider's steps: powers of ten from `lowest` up to the largest that fits
    (at least two, so a slider can be drawn; one above the cap is refused when run)."""
    top = max(fit.max_edges, lowest * 10)
    return [10**p for p in range(round(math.log10(lowest)), math.floor(math.log10(top)) + 1)]


def sizes_between(smallest: int, largest: int) -> list[int]:
    """The powers of ten from `smallest` to `largest` (edges of each generated graph)."""
    low, high = sorted((smallest, largest))
    return [10**p for p in range(round(math.log10(low)), round(math.log10(high)) + 1)]


def default_choice(base: GraphConfig) -> Choice:
    """The controls' starting values: what `base` (the profile's config) runs."""
    kinds = tuple(k for k in KINDS if any(s.kind == k for s in base.graphs))
    sizes = [s.edges for s in base.graphs if s.generated and not s.directed]
    return Choice(
        kinds=kinds,
        sizes=(min(sizes), max(sizes)) if sizes else (SMALLEST_SIZE, SMALLEST_SIZE),
        algorithms=base.algorithms,
        engines=tuple(e for e in base.engines if e != OURS),
        device=base.device,
        directed=any(s.directed for s in base.graphs),
        strict_pagerank=base.pagerank_l1 is not None,
        repeats=base.repeats,
    )


def selection_problems(choice: Choice, fit: SizeFit | None = None) -> list[tuple[str, str]]:
    """(callout kind, text) for each problem with `choice`: "danger" stops a run, "warn"
    weakens it. `fit`: free memory now, to name a size that no longer fits."""
    problems: list[tuple[str, str]] = []
    if not choice.kinds:
        problems.append(("danger", "No graph is chosen: choose at least one to run."))
    if not choice.algorithms:
        problems.append(("danger", "No algorithm is chosen: choose at least one to run."))
    if EDGE_LIST in choice.kinds:
        try:
            edge_list_nodes(edge_list_spec(choice.edge_text).pairs)
        except UsageError as err:
            problems.append(("danger", f"My edge list: {err}."))
    generated = [k for k in choice.kinds if k in GENERATED]
    if fit is not None and generated and max(choice.sizes) > fit.max_edges:
        problems.append(
            (
                "danger",
                f"{max(choice.sizes):,} edges do not fit: the largest graph that fits "
                f"{fit.limited_by} now is about {fit.max_edges:,} edges.",
            )
        )
    if NETWORKX not in choice.engines:
        problems.append(
            (
                "warn",
                "networkx is not chosen: it is the reference, so no answer is cross-checked "
                "and no speed-up is shown. Choose it too.",
            )
        )
    return problems


def chosen_config(base: GraphConfig, choice: Choice) -> GraphConfig:
    """The config a run uses: `base` with the chosen graphs, algorithms (in suite order),
    engines (ours always), device, PageRank rule and repeats; a UsageError for an empty or
    invalid choice."""
    if not choice.kinds:
        raise UsageError("choose at least one graph")
    if not choice.algorithms:
        raise UsageError("choose at least one algorithm")
    return replace(
        base,
        graphs=chosen_graphs(base, choice),
        algorithms=tuple(a for a in ALGORITHMS if a in choice.algorithms),
        engines=tuple(e for e in ENGINES if e == OURS or e in choice.engines),
        device=choice.device,
        pagerank_l1=STRICT_L1 if choice.strict_pagerank else None,
        repeats=choice.repeats,
    )


def chosen_graphs(base: GraphConfig, choice: Choice) -> tuple[GraphSpec, ...]:
    """The real graphs, each generated kind at each size of the range (and directed where
    asked), and the edge list, in that order."""
    own = {(s.kind, s.edges, s.directed): s for s in base.graphs if s.generated}
    sizes = sizes_between(*choice.sizes)
    specs: list[GraphSpec] = [GraphSpec(k) for k in REAL_GRAPHS if k in choice.kinds]
    for kind in (k for k in GENERATED if k in choice.kinds):
        for edges in sizes:
            specs.append(own.get((kind, edges, False)) or _new_spec(base, kind, edges))
    if choice.directed:
        at = _directed_size(base, sizes)
        for kind in (k for k in DIRECTED_KINDS if k in choice.kinds):
            specs.append(own.get((kind, at, True)) or _new_spec(base, kind, at, directed=True))
    if EDGE_LIST in choice.kinds:
        specs.append(edge_list_spec(choice.edge_text, choice.edge_list_directed))
    return tuple(specs)


def _new_spec(base: GraphConfig, kind: str, edges: int, directed: bool = False) -> GraphSpec:
    """A generated spec the profile does not list, with the algorithm list the profile gives
    its own graphs of that size or smaller (e.g. no triangles at 10^8 edges)."""
    limited = [s for s in base.graphs if s.algorithms is not None and s.edges <= edges]
    algorithms = max(limited, key=lambda s: s.edges).algorithms if limited else None
    return GraphSpec(kind, edges, directed=directed, algorithms=algorithms)


def _directed_size(base: GraphConfig, sizes: Sequence[int]) -> int:
    """The directed graphs' size: the profile's own where it lies in the range, else the
    smallest size of the range."""
    own = [s.edges for s in base.graphs if s.directed and s.edges in sizes]
    return own[0] if own else sizes[0]


def describe_sizes(smallest: int, largest: int) -> str:
    """`10,000 · 100,000 · 1,000,000 edges`: the sizes a range runs, for beside the slider."""
    return " · ".join(f"{edges:,}" for edges in sizes_between(smallest, largest)) + " edges"
