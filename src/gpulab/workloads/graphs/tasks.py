"""What one algorithm run is asked, the same for every engine: sources, sample, parameters.

Fixing these before any engine runs is what makes the answers comparable: BFS starts from the
same node (the highest-degree one), and sampled betweenness uses the very sources networkx
draws for the seed (`sample_sources`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import PAGERANK_ALPHA, PAGERANK_MAX_ITER, PAGERANK_TOL, GraphConfig
from .csr import Csr
from .kernels.betweenness import sample_sources


@dataclass(frozen=True)
class Task:
    """One algorithm's inputs beyond the graph."""

    algorithm: str
    source: int = 0  # BFS: the start node's index
    sources: list[int] | None = None  # betweenness: source indices (None: every node)
    k: int | None = None  # betweenness: networkx's k (None: exact)
    seed: int = 0
    alpha: float = PAGERANK_ALPHA
    tol: float = PAGERANK_TOL
    max_iter: int = PAGERANK_MAX_ITER


def make_task(algorithm: str, graph: Csr, config: GraphConfig) -> Task:
    """The task for `algorithm` on `graph` under `config`."""
    source = int(graph.degrees().argmax())
    k = None if graph.n_nodes <= config.betweenness_exact_max_nodes else config.betweenness_k
    k = None if k is not None and k >= graph.n_nodes else k
    sources = sample_sources(graph, k, config.seed) if algorithm == "betweenness" else None
    return Task(
        algorithm=algorithm,
        source=source,
        sources=sources,
        k=k if algorithm == "betweenness" else None,
        seed=config.seed,
        tol=config.pagerank_tol_for(graph.n_nodes),
    )


def passes(task: Task, graph: Csr) -> int:
    """Passes over the graph one call makes, for extrapolating a time from a smaller graph: one
    per betweenness source (every node, when exact), one for the other algorithms."""
    if task.algorithm != "betweenness":
        return 1
    return graph.n_nodes if task.sources is None else len(task.sources)
