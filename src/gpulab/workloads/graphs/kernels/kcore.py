"""Core numbers by peeling: a node's core number is the largest k with it in the k-core.

The (k+1)-core is what is left after repeatedly removing every node of degree <= k. So with k at
the smallest degree left, peel all nodes of degree <= k at once (they have core number k), lower
their neighbours' degrees, and peel those of them now at k, until none is left; then raise k.
Each node's edges are visited once, when it is peeled. Equals `nx.core_number`.
"""

from __future__ import annotations

import torch

from ..csr import Csr


def core_numbers(graph: Csr) -> torch.Tensor:
    """Per node, its core number (int64). Undirected graphs without self-loops only."""
    if graph.directed:
        raise ValueError("core numbers are defined here on undirected graphs: to_undirected()")
    degree = graph.degrees().clone()
    core = torch.zeros_like(degree)
    alive = torch.ones(graph.n_nodes, dtype=torch.bool, device=graph.device)
    left, k = graph.n_nodes, 0
    while left:
        k = max(k, int(degree[alive].min()))
        peel = (alive & (degree <= k)).nonzero().squeeze(1)
        while peel.numel():
            core[peel] = k
            alive[peel] = False
            left -= peel.numel()
            neighbours = graph.neighbours(peel)
            degree.index_add_(0, neighbours, torch.full_like(neighbours, -1))
            # only a neighbour of a peeled node can have dropped to k
            candidates = torch.unique(neighbours)
            peel = candidates[alive[candidates] & (degree[candidates] <= k)]
    return core
