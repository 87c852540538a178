"""Triangles through every node, counted once per triangle by orienting edges by degree.

Rank the nodes by (degree, index) and keep each edge once, pointing from the lower rank to the
higher: every triangle then has exactly one corner whose two out-edges close it, and no node has
more than sqrt(2m) out-edges, which bounds the work on power-law graphs. A wedge is two out-edges
(a -> b, a -> c) of one node with b < c; it is a triangle when b -> c is an edge, looked up by
binary search in the sorted list of oriented edges. Wedges are enumerated in chunks (vectorised
range expansion), so memory stays bounded whatever the graph. Equals `nx.triangles`.
"""

from __future__ import annotations

import torch

from ..csr import Csr

WEDGE_CHUNK = 2**24  # wedges examined at once


def triangles(graph: Csr, chunk: int = WEDGE_CHUNK) -> torch.Tensor:
    """Per node, how many triangles it is a corner of (int64). Undirected graphs only."""
    if graph.directed:
        raise ValueError("triangles are defined here on undirected graphs: to_undirected()")
    n, device = graph.n_nodes, graph.device
    order = torch.sort(graph.degrees(), stable=True).indices  # order[r]: the node of rank r
    rank = torch.empty_like(order)
    rank[order] = torch.arange(n, device=device)
    tail, head = rank[graph.rows()], rank[graph.indices.long()]
    upward = tail < head
    keys = torch.sort(tail[upward] * n + head[upward]).values  # the oriented edges, sorted
    tail, head = keys // n, keys % n
    indptr = torch.zeros(n + 1, dtype=torch.int64, device=device)
    indptr[1:] = torch.cumsum(torch.bincount(tail, minlength=n), 0)
    later = indptr[tail + 1] - torch.arange(keys.numel(), device=device) - 1
    counts = torch.zeros(n, dtype=torch.int64, device=device)
    for lo, hi in _chunks(later, chunk):
        first, second = _wedges(later, lo, hi)
        b, c = head[first], head[second]
        wanted = b * n + c
        found = keys[torch.searchsorted(keys, wanted).clamp_(max=keys.numel() - 1)] == wanted
        for corner in (tail[first[found]], b[found], c[found]):
            counts += torch.bincount(corner, minlength=n)
    per_node = torch.empty_like(counts)
    per_node[order] = counts  # back from ranks to node indices
    return per_node


def _wedges(later: torch.Tensor, lo: int, hi: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every pair (p, q) of oriented edges of one node with lo <= p < hi and p < q."""
    counts = later[lo:hi]
    total = int(counts.sum())
    device = later.device
    first = torch.arange(lo, hi, device=device)
    first = torch.repeat_interleave(first, counts, output_size=total)
    offset = torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts, output_size=total)
    return first, first + 1 + torch.arange(total, device=device) - offset


def _chunks(later: torch.Tensor, chunk: int) -> list[tuple[int, int]]:
    """Ranges of oriented edges holding about `chunk` wedges each."""
    if later.numel() == 0:
        return []
    cumulative = torch.cumsum(later, 0)
    total = int(cumulative[-1])
    if total == 0:
        return []
    marks = torch.arange(chunk, max(total, chunk), chunk, device=later.device)
    cuts = torch.searchsorted(cumulative, marks).tolist()
    bounds = sorted({0, *cuts, later.numel()})
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def triangle_total(per_node: torch.Tensor) -> int:
    """Triangles in the graph: each is counted at its three corners."""
    return int(per_node.sum()) // 3
