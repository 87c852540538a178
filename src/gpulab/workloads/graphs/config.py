"""What the graph suite measures: which graphs, algorithms and engines, and how it times them.

`GraphConfig.for_profile` gives the notebook's settings; the benchmark has its own in
`gpulab.benchmarks.graphs`. Nothing here imports torch or networkx.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

ALGORITHMS = ("pagerank", "bfs", "components", "triangles", "kcore", "betweenness")
# Defined on undirected graphs (networkx raises on a DiGraph or answers another question), so a
# directed input is converted first and its rows say so.
NEEDS_UNDIRECTED = frozenset({"components", "triangles", "kcore"})
NETWORKX, OURS, CUGRAPH = "networkx", "gpulab-torch", "nx-cugraph"
ENGINES = (NETWORKX, OURS, CUGRAPH)
REAL_GRAPHS = ("karate", "les_miserables", "florentine", "davis")
GENERATED = ("rmat", "erdos_renyi", "barabasi_albert")
EDGE_LIST = "edge_list"  # a graph the user types or pastes as "u v" lines (see `edge_list`)
KINDS = REAL_GRAPHS + GENERATED + (EDGE_LIST,)

# Graph500's R-MAT quadrant probabilities (d = 1 - a - b - c) and edge factor (edges per node).
RMAT_A, RMAT_B, RMAT_C = 0.57, 0.19, 0.19
EDGE_FACTOR = 16

# networkx's PageRank defaults, which our kernel reproduces.
PAGERANK_ALPHA, PAGERANK_TOL, PAGERANK_MAX_ITER = 0.85, 1e-6, 100

# Cross-check tolerances: PageRank is iterative (summation order differs between engines) and
# betweenness is a sum of fp64 ratios; the other results are integers and must be equal.
PAGERANK_ATOL = 1e-6
BETWEENNESS_ATOL = 1e-9


@dataclass(frozen=True)
class GraphSpec:
    """One graph of the suite: a real graph networkx ships, or a generated one of `edges` edges.

    For R-MAT and Erdős–Rényi `edges` is exact (distinct edges after dropping self-loops and
    duplicates); Barabási–Albert attaches `edge_factor` edges per node, so it lands just under.
    `algorithms` narrows the suite's list for this graph (None: all of them). An `edge_list`
    graph carries its edges in `pairs` (node names, as typed) and `edges` = len(pairs).
    """

    kind: str
    edges: int = 0
    edge_factor: int = EDGE_FACTOR
    directed: bool = False
    algorithms: tuple[str, ...] | None = None
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def generated(self) -> bool:
        return self.kind in GENERATED

    @property
    def name(self) -> str:
        """A short label for tables: `rmat-1e+06`, `rmat-1e+05-directed`, `karate`."""
        if self.kind == EDGE_LIST:
            return self.kind + ("-directed" if self.directed else "")
        if not self.generated:
            return self.kind
        return f"{self.kind}-{self.edges:.0e}" + ("-directed" if self.directed else "")

    @property
    def n_nodes(self) -> int:
        """Nodes of a generated graph: `edges / edge_factor`, a power of two for R-MAT."""
        if not self.generated:
            raise ValueError(f"{self.kind} is a real graph: its size comes from networkx")
        if self.kind == "rmat":
            return 2**self.scale
        return max(1, round(self.edges / self.edge_factor))

    @property
    def scale(self) -> int:
        """R-MAT's scale: log2 of the node count nearest to edges / edge_factor."""
        return max(1, round(math.log2(max(self.edges / self.edge_factor, 2))))

    def validate(self) -> None:
        """A one-line UsageError for a graph that cannot be built."""
        if self.kind not in KINDS:
            raise UsageError(f"unknown graph kind {self.kind!r} (choose from {', '.join(KINDS)})")
        if self.algorithms is not None:
            _check_algorithms(self.algorithms)
        if self.kind == EDGE_LIST and not self.pairs:
            raise UsageError("the edge list is empty (an empty graph): give one 'u v' per line")
        if not self.generated:
            return
        if self.edges <= 0 or self.edge_factor <= 0:
            raise UsageError(
                f"{self.kind}: edges and edge_factor must be positive, got {self.edges} "
                f"and {self.edge_factor}"
            )
        n = self.n_nodes
        if self.kind == "barabasi_albert" and n <= self.edge_factor:
            raise UsageError(
                f"barabasi_albert: {self.edges} edges at {self.edge_factor} per node leave "
                f"{n} nodes, which cannot attach {self.edge_factor} edges each (an empty graph)"
            )
        pairs = n * (n - 1) // (1 if self.directed else 2)
        if self.edges > pairs:
            raise UsageError(
                f"{self.name}: {self.edges} distinct edges do not fit on {n} nodes "
                f"(at most {pairs}); lower edges or edge_factor"
            )


def _check_algorithms(algorithms: tuple[str, ...]) -> None:
    unknown = [a for a in algorithms if a not in ALGORITHMS]
    if unknown:
        raise UsageError(f"unknown algorithm(s) {unknown}; choose from {list(ALGORITHMS)}")
    if not algorithms:
        raise UsageError("choose at least one algorithm")


def _real_graphs() -> tuple[GraphSpec, ...]:
    return tuple(GraphSpec(kind) for kind in REAL_GRAPHS)


@dataclass(frozen=True)
class GraphConfig:
    """How the suite runs: graphs, algorithms, engines, timing repeats and networkx's limits."""

    graphs: tuple[GraphSpec, ...] = field(default_factory=_real_graphs)
    algorithms: tuple[str, ...] = ALGORITHMS
    engines: tuple[str, ...] = ENGINES
    device: str | None = None  # None: the first CUDA GPU where torch sees one, else the CPU
    warmup: int = 1
    repeats: int = 3
    networkx_warmup: int = 0  # networkx is deterministic CPU code with no first-call cost
    networkx_repeats: int = 3
    # networkx runs only where it finishes in time: a graph above `networkx_max_edges`, or one
    # whose time (extrapolated from the last size it ran) exceeds the cap, is skipped with why.
    networkx_time_cap_s: float = 30.0
    networkx_max_edges: int = 2 * 10**6
    # networkx's rule stops when sum |x - x_prev| < N * tol: on large graphs (N * tol near or
    # above 2, the largest possible L1 change) that is after one or two iterations, so a
    # caller who wants a converged answer passes a smaller tol (say 1e-6 / N).
    pagerank_tol: float = PAGERANK_TOL
    # Where set, PageRank's tol is pagerank_l1 / N on each graph: it stops once the L1 change is
    # below pagerank_l1 whatever N (the strict rule; None: networkx's, with pagerank_tol).
    pagerank_l1: float | None = None
    betweenness_k: int = 32  # sampled sources on graphs above the exact limit
    betweenness_exact_max_nodes: int = 2_000
    seed: int = 0
    louvain: bool = True  # through nx-cugraph where it is installed; a skipped row otherwise

    def validate(self) -> GraphConfig:
        """Raise a one-line UsageError for input the suite cannot run; returns self."""
        if not self.graphs:
            raise UsageError("choose at least one graph")
        for spec in self.graphs:
            if not isinstance(spec, GraphSpec):
                raise UsageError(f"graphs must be GraphSpec values, got {spec!r}")
            spec.validate()
        _check_algorithms(self.algorithms)
        unknown = [e for e in self.engines if e not in ENGINES]
        if unknown or OURS not in self.engines:
            raise UsageError(f"engines must include {OURS!r} and come from {list(ENGINES)}")
        if self.warmup < 0 or self.repeats < 1 or self.networkx_repeats < 1:
            raise UsageError("need warmup >= 0 and at least 1 timed repeat")
        if not 0 < self.pagerank_tol < 1:
            raise UsageError(f"pagerank_tol must lie in (0, 1), got {self.pagerank_tol}")
        if self.pagerank_l1 is not None and not 0 < self.pagerank_l1 < 2:
            raise UsageError(f"pagerank_l1 must lie in (0, 2), got {self.pagerank_l1}")
        if self.betweenness_k < 1:
            raise UsageError(f"betweenness_k must be >= 1, got {self.betweenness_k}")
        if self.networkx_time_cap_s <= 0 or self.networkx_max_edges <= 0:
            raise UsageError("networkx's time cap and edge limit must be positive")
        return self

    def pagerank_tol_for(self, n_nodes: int) -> float:
        """PageRank's tol on a graph of `n_nodes`: networkx's rule stops when the L1 change is
        below n_nodes * tol, so the strict rule (`pagerank_l1`) passes pagerank_l1 / n_nodes."""
        if self.pagerank_l1 is None:
            return self.pagerank_tol
        return self.pagerank_l1 / n_nodes

    def algorithms_for(self, spec: GraphSpec) -> tuple[str, ...]:
        """The algorithms run on `spec`: its own list within the suite's, in the suite's order."""
        wanted = self.algorithms if spec.algorithms is None else spec.algorithms
        return tuple(a for a in self.algorithms if a in wanted)

    @classmethod
    def for_profile(cls, profile: str) -> GraphConfig:
        """smoke: the four real graphs (exact betweenness) and an R-MAT of 10^4 edges (sampled
        betweenness), seconds on a CPU; full: R-MAT from 10^4 to 10^8 edges, Erdős–Rényi and
        Barabási–Albert at 10^6, a directed R-MAT, and networkx (timed once per call) wherever it
        finishes under its cap."""
        if profiles.check(profile) == profiles.SMOKE:
            smoke_graphs = (*_real_graphs(), GraphSpec("rmat", 10**4))
            return cls(graphs=smoke_graphs, betweenness_exact_max_nodes=100)
        # near-linear on 10^8 edges (triangles' wedge count grows faster on R-MAT's hubs)
        heavy = ("pagerank", "bfs", "components", "kcore", "betweenness")
        return cls(
            graphs=(
                *_real_graphs(),
                *(GraphSpec("rmat", 10**p) for p in (4, 5, 6, 7)),
                GraphSpec("rmat", 10**8, algorithms=heavy),
                GraphSpec("erdos_renyi", 10**6),
                GraphSpec("barabasi_albert", 10**6),
                GraphSpec("rmat", 10**5, directed=True),
            ),
            repeats=5,
            # networkx's calls take seconds at these sizes, one timed call each keeps the
            # profile to minutes; its timings show n = 1 (ours keeps 5 repeats and a spread).
            networkx_repeats=1,
        )

    @classmethod
    def bench_for_profile(cls, profile: str) -> GraphConfig:
        """The benchmark's settings, unlike the notebook's: PageRank alone, on an R-MAT graph of
        10^7 edges (smoke 10^4) with networkx in the same run, then ours alone on an R-MAT of
        10^8 edges (smoke 10^5; networkx_max_edges stops networkx below it). Full runs ours on
        a CUDA GPU, smoke on the CPU, through the same code."""
        smoke = profiles.check(profile) == profiles.SMOKE
        headline, large = (10**4, 10**5) if smoke else (10**7, 10**8)
        return cls(
            graphs=(GraphSpec("rmat", headline), GraphSpec("rmat", large)),
            algorithms=("pagerank",),
            device="cpu" if smoke else "cuda",
            warmup=2,
            repeats=5 if smoke else 10,
            networkx_repeats=3,
            networkx_time_cap_s=900.0,
            networkx_max_edges=headline,
            louvain=False,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
