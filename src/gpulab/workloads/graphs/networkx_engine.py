"""networkx's own calls for each algorithm, and their answers as per-node arrays.

The same calls serve nx-cugraph: networkx dispatches a call with `backend="cugraph"` to the GPU
backend, so the cugraph engine runs exactly what a networkx user would write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import Outcome, summarise
from .csr import Csr
from .kernels.bfs import UNREACHED
from .tasks import Task


def networkx_call(
    task: Task, graph: Any, label: Any, backend: str | None = None
) -> Callable[[], Any]:
    """networkx's function for `task` on `graph` (`label`: the BFS source's name)."""
    import networkx as nx

    kw: dict[str, Any] = {} if backend is None else {"backend": backend}
    calls: dict[str, Callable[[], Any]] = {
        "pagerank": lambda: nx.pagerank(
            graph, alpha=task.alpha, tol=task.tol, max_iter=task.max_iter, **kw
        ),
        "bfs": lambda: nx.single_source_shortest_path_length(graph, label, **kw),
        "components": lambda: list(nx.connected_components(graph, **kw)),
        "triangles": lambda: nx.triangles(graph, **kw),
        "kcore": lambda: nx.core_number(graph, **kw),
        "betweenness": lambda: nx.betweenness_centrality(graph, k=task.k, seed=task.seed, **kw),
    }
    return calls[task.algorithm]


def networkx_outcome(task: Task, answer: Any, csr: Csr) -> Outcome:
    """networkx's answer (a dict by node name, or a list of node sets) in `csr`'s index order."""
    index = csr.index
    if task.algorithm == "components":
        labels = component_labels(answer, index, csr.n_nodes)
        return Outcome(labels, None, summarise(task.algorithm, labels))
    fill = UNREACHED if task.algorithm == "bfs" else 0
    dtype = np.float64 if task.algorithm in ("pagerank", "betweenness") else np.int64
    values = np.full(csr.n_nodes, fill, dtype=dtype)
    for label, value in dict(answer).items():
        values[index[label]] = value
    return Outcome(values, None, summarise(task.algorithm, values))


def component_labels(components: Any, index: dict[Any, int], n_nodes: int) -> np.ndarray:
    """Node sets as labels: each node gets its component's smallest index (ours' convention)."""
    labels = np.full(n_nodes, -1, dtype=np.int64)
    for members in components:
        positions = np.fromiter((index[m] for m in members), dtype=np.int64)
        labels[positions] = positions.min()
    return labels


def louvain_call(graph: Any, seed: int, backend: str) -> Callable[[], Any]:
    """Louvain communities through a networkx backend."""
    import networkx as nx

    return lambda: nx.community.louvain_communities(graph, seed=seed, backend=backend)


def louvain_outcome(communities: Any, graph: Any, csr: Csr, modularity: bool) -> Outcome:
    """Community labels per node, how many, and the partition's modularity where asked."""
    labels = component_labels(communities, csr.index, csr.n_nodes)
    summary: dict[str, Any] = {"communities": len(communities)}
    if modularity:
        import networkx as nx

        summary["modularity"] = float(nx.community.modularity(graph, communities))
    return Outcome(labels, None, summary)
