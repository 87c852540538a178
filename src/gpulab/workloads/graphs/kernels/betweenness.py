"""Betweenness centrality (Brandes), many BFS sources at once as sparse-times-dense products.

For each source s: a BFS counts shortest paths sigma level by level (a node's count is the sum of
its predecessors' on the level before), then dependencies flow back from the deepest level,
delta[v] = sum over successors w of sigma[v] / sigma[w] * (1 + delta[w]). With one column per
source, a level of every BFS in the batch is one sparse matrix times a dense (nodes x sources)
matrix. The sum of dependencies is rescaled exactly as `nx.betweenness_centrality` does (for all
sources, or for k sampled ones), and `sample_sources` picks the k sources networkx picks for the
same seed, so the two can be compared node by node. Unweighted (networkx's default).
"""

from __future__ import annotations

import math
import random

import torch

from ..csr import Csr

DTYPE = torch.float64
BYTES_PER_CELL = 8 * 7  # the (nodes x sources) matrices alive at once, float64-sized


def sample_sources(graph: Csr, k: int | None, seed: int) -> list[int] | None:
    """The source indices networkx's `betweenness_centrality(G, k=k, seed=seed)` uses: it draws
    `random.Random(seed).sample(list(G), k)`, and our nodes keep `list(G)`'s order. None: all."""
    if k is None or k == graph.n_nodes:
        return None
    if not 0 < k <= graph.n_nodes:
        raise ValueError(f"k={k} sources from a graph of {graph.n_nodes} nodes")
    if graph.labels is None:  # nodes 0..n-1: a label is its index
        return random.Random(seed).sample(range(graph.n_nodes), k)
    return [graph.index[label] for label in random.Random(seed).sample(list(graph.labels), k)]


def betweenness(
    graph: Csr,
    sources: list[int] | None = None,
    normalized: bool = True,
    batch: int | None = None,
) -> torch.Tensor:
    """Betweenness of every node from all sources (None) or the given ones, endpoints excluded."""
    n = graph.n_nodes
    push = graph.adjacency(DTYPE, weighted=False)  # row v: v's out-neighbours
    pull = graph.transpose().adjacency(DTYPE, weighted=False)  # row v: v's in-neighbours
    chosen = list(range(n)) if sources is None else list(sources)
    size = batch or default_batch(n, graph.device)
    scores = torch.zeros(n, dtype=DTYPE, device=graph.device)
    for start in range(0, len(chosen), size):
        block = torch.tensor(chosen[start : start + size], device=graph.device)
        scores += _dependencies(push, pull, block, n)
    return rescale(scores, n, normalized=normalized, directed=graph.directed, sampled=sources)


def default_batch(n_nodes: int, device: torch.device) -> int:
    """Sources per batch so the dense matrices stay within a few hundred MiB (GiB on a GPU)."""
    budget = 2**32 if device.type == "cuda" else 2**28
    return max(1, budget // (n_nodes * BYTES_PER_CELL))


def _dependencies(
    push: torch.Tensor, pull: torch.Tensor, sources: torch.Tensor, n: int
) -> torch.Tensor:
    """Sum over the batch's sources of every node's dependency delta_s(v)."""
    columns = torch.arange(sources.numel(), device=sources.device)
    sigma = torch.zeros((n, sources.numel()), dtype=DTYPE, device=sources.device)
    sigma[sources, columns] = 1.0
    dist = torch.full(sigma.shape, -1, dtype=torch.int32, device=sources.device)
    dist[sources, columns] = 0
    frontier, depth = sigma.clone(), 0
    while True:
        arriving = pull @ frontier  # shortest paths into each node from the last level
        new = (arriving > 0) & (dist < 0)
        if not bool(new.any()):
            break
        depth += 1
        dist.masked_fill_(new, depth)
        frontier = torch.where(new, arriving, 0.0)
        sigma += frontier
    delta = torch.zeros_like(sigma)
    for level in range(depth, 1, -1):  # the sources' own dependency (level 0) is not counted
        at_level = dist == level
        coeff = torch.where(at_level, (1 + delta) / torch.where(at_level, sigma, 1.0), 0.0)
        delta += torch.where(dist == level - 1, sigma * (push @ coeff), 0.0)
    return delta.sum(1)


def rescale(
    scores: torch.Tensor, n: int, *, normalized: bool, directed: bool, sampled: list[int] | None
) -> torch.Tensor:
    """networkx's rescaling (endpoints excluded): by the number of (s, t) pairs counted, halved
    for unnormalised undirected graphs, with sampled sources scaled apart from the others."""
    targets = n - 1  # pairs (s, t) through v have t != v
    if targets < 2:
        return scores
    correction = 1 if directed else 2  # an undirected pair was counted from both ends
    if sampled is None:
        return scores * (1 / (targets * (targets - 1)) if normalized else 1 / correction)
    k = len(sampled)
    if normalized:
        source_scale = 1 / ((k - 1) * (targets - 1)) if k > 1 else math.nan
        other_scale = 1 / (k * (targets - 1))
    else:
        source_scale = targets / ((k - 1) * correction) if k > 1 else math.nan
        other_scale = targets / (k * correction)
    factor = torch.full_like(scores, other_scale)
    factor[torch.tensor(sampled, device=scores.device)] = source_scale
    return scores * factor
