"""Breadth-first search levels from one source, a whole frontier at a time.

Level by level: gather the out-neighbours of every frontier node at once (their CSR rows,
concatenated), keep those not yet reached, and they are the next frontier. The work is one pass
over each reached node's edges; the Python loop runs once per level (a graph's depth, small for
the graphs here), never once per node. The answer equals `nx.single_source_shortest_path_length`.
"""

from __future__ import annotations

import torch

from ..csr import Csr

UNREACHED = -1


def bfs_levels(graph: Csr, source: int) -> torch.Tensor:
    """Hops from `source` to every node (int64; -1 where it cannot be reached), along out-edges."""
    if not 0 <= source < graph.n_nodes:
        raise ValueError(f"source {source} is not a node of a graph with {graph.n_nodes} nodes")
    levels = torch.full((graph.n_nodes,), UNREACHED, dtype=torch.int64, device=graph.device)
    levels[source] = 0
    frontier = torch.tensor([source], device=graph.device)
    reached = torch.zeros(graph.n_nodes, dtype=torch.bool, device=graph.device)
    depth = 0
    while frontier.numel():
        depth += 1
        reached[graph.neighbours(frontier)] = True
        reached &= levels == UNREACHED
        frontier = reached.nonzero().squeeze(1)
        levels[frontier] = depth
        reached[frontier] = False
    return levels


def levels_as_dict(levels: torch.Tensor) -> dict[int, int]:
    """{node: level} of the reached nodes: the shape networkx returns."""
    reached = (levels != UNREACHED).nonzero().squeeze(1)
    return dict(zip(reached.tolist(), levels[reached].tolist(), strict=True))
