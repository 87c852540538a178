"""The device CSR every kernel reads, built from an edge list or a networkx graph.

Compressed sparse rows: row `u` holds `u`'s out-neighbours, sorted, at `indices[indptr[u]:
indptr[u + 1]]`; an undirected edge is stored in both rows. This is the layout a GPU reads fast
(one contiguous run per node, no Python objects), and the one cuSPARSE multiplies. Graphs are
simple: self-loops and duplicate edges are dropped on the way in (their count is kept).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import torch

from gpulab.errors import UsageError

INT32_MAX = 2**31 - 1


@dataclass(frozen=True, eq=False)
class Csr:
    """A simple graph on one device. `labels[i]` is node i's original name (None: i itself)."""

    indptr: torch.Tensor  # int64, n_nodes + 1
    indices: torch.Tensor  # int32 (int64 past 2^31 nodes), one per stored entry
    n_nodes: int
    directed: bool
    n_edges: int  # an undirected edge counts once, though it is stored twice
    weights: torch.Tensor | None = None  # float64 per stored entry; None: every edge weighs 1
    labels: Sequence[Any] | None = None
    dropped_self_loops: int = 0
    dropped_duplicates: int = 0

    @property
    def device(self) -> torch.device:
        return self.indptr.device

    @property
    def n_entries(self) -> int:
        return self.indices.numel()

    def label(self, i: int) -> Any:
        return i if self.labels is None else self.labels[i]

    @cached_property
    def index(self) -> dict[Any, int]:
        """Original label -> node index (the mapping from networkx's names to 0..n-1)."""
        labels = range(self.n_nodes) if self.labels is None else self.labels
        return {label: i for i, label in enumerate(labels)}

    def degrees(self) -> torch.Tensor:
        """Out-degree of every node (the degree, for an undirected graph)."""
        return self.indptr[1:] - self.indptr[:-1]

    def rows(self) -> torch.Tensor:
        """The row (source node) of every stored entry, int64: the COO view of the CSR."""
        arange = torch.arange(self.n_nodes, device=self.device)
        return torch.repeat_interleave(arange, self.degrees(), output_size=self.n_entries)

    def positions(self, nodes: torch.Tensor) -> torch.Tensor:
        """Entry positions of the given rows, concatenated: their edges without a Python loop."""
        starts = self.indptr[nodes]
        counts = self.indptr[nodes + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return torch.empty(0, dtype=torch.int64, device=self.device)
        shift = starts - (torch.cumsum(counts, 0) - counts)
        ramp = torch.arange(total, device=self.device)
        return torch.repeat_interleave(shift, counts, output_size=total) + ramp

    def neighbours(self, nodes: torch.Tensor) -> torch.Tensor:
        """Out-neighbours of `nodes`, concatenated (with repeats), int64."""
        return self.indices[self.positions(nodes)].long()

    def adjacency(self, dtype: torch.dtype = torch.float64, weighted: bool = True) -> Any:
        """The adjacency matrix as a torch sparse CSR tensor: A[u, v] = weight of u -> v."""
        if weighted and self.weights is not None:
            values = self.weights.to(dtype)
        else:
            values = torch.ones(self.n_entries, dtype=dtype, device=self.device)
        small = self.n_entries <= INT32_MAX and self.n_nodes <= INT32_MAX
        index_dtype = torch.int32 if small else torch.int64
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            return torch.sparse_csr_tensor(
                self.indptr.to(index_dtype),
                self.indices.to(index_dtype),
                values,
                size=(self.n_nodes, self.n_nodes),
                check_invariants=False,
            )

    def edge_list(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(src, dst, weights) with every edge once (u < v for an undirected graph)."""
        src, dst = self.rows(), self.indices.long()
        if self.directed:
            return src, dst, self.weights
        once = src < dst
        return src[once], dst[once], None if self.weights is None else self.weights[once]

    def transpose(self) -> Csr:
        """The reversed graph (row v lists v's in-neighbours); an undirected graph is its own."""
        if not self.directed:
            return self
        src, dst = self.rows(), self.indices.long()
        keys, order = torch.sort(dst * self.n_nodes + src)
        weights = None if self.weights is None else self.weights[order]
        return _from_sorted_keys(keys, weights, self, directed=True)

    def to_undirected(self) -> Csr:
        """Every edge in both directions, like networkx's `G.to_undirected()` (weights dropped:
        only the algorithms that ignore them need the conversion)."""
        if not self.directed:
            return self
        src, dst, _ = self.edge_list()
        return from_edges(src, dst, self.n_nodes, directed=False, labels=self.labels)

    def to(self, device: Any) -> Csr:
        """The same graph on `device`."""
        weights = None if self.weights is None else self.weights.to(device)
        return replace(
            self, indptr=self.indptr.to(device), indices=self.indices.to(device), weights=weights
        )

    def nbytes(self) -> int:
        """Bytes the CSR's tensors hold."""
        tensors = [self.indptr, self.indices] + ([] if self.weights is None else [self.weights])
        return sum(t.numel() * t.element_size() for t in tensors)


def from_edges(
    src: Any,
    dst: Any,
    n_nodes: int,
    *,
    directed: bool = False,
    weights: Any = None,
    labels: Sequence[Any] | None = None,
    device: Any = None,
) -> Csr:
    """A simple graph from an edge list: self-loops and duplicates dropped (for a duplicate the
    last weight wins, as networkx's `add_edges_from` does), both directions stored if undirected."""
    device = torch.device(device) if device is not None else _device_of(src)
    src = torch.as_tensor(src, dtype=torch.int64, device=device).reshape(-1)
    dst = torch.as_tensor(dst, dtype=torch.int64, device=device).reshape(-1)
    w = None if weights is None else torch.as_tensor(weights, dtype=torch.float64, device=device)
    _check_edges(src, dst, w, n_nodes)
    loops = src == dst
    n_loops = int(loops.sum())
    if n_loops:
        keep = ~loops
        src, dst, w = src[keep], dst[keep], None if w is None else w[keep]
    if not directed:
        src, dst = torch.minimum(src, dst), torch.maximum(src, dst)
    n = n_nodes
    keys, w = _distinct(src * n + dst, w)
    if keys.numel() == 0:
        raise UsageError("the graph has no edges once self-loops are dropped (an empty graph)")
    n_edges = keys.numel()
    if not directed:
        keys = torch.cat([keys, (keys % n) * n + keys // n])
        keys, order = torch.sort(keys)
        w = None if w is None else torch.cat([w, w])[order]
    shape = _Shape(n, n_edges, labels, n_loops, src.numel() - n_edges)
    return _from_sorted_keys(keys, w, shape, directed=directed)


@dataclass(frozen=True)
class _Shape:
    """What `_from_sorted_keys` copies onto the new CSR besides the entries."""

    n_nodes: int
    n_edges: int
    labels: Sequence[Any] | None = None
    dropped_self_loops: int = 0
    dropped_duplicates: int = 0


def _from_sorted_keys(
    keys: torch.Tensor, weights: torch.Tensor | None, shape: _Shape | Csr, *, directed: bool
) -> Csr:
    """The CSR of entries given as sorted keys `row * n + col`."""
    n = shape.n_nodes
    rows = keys // n
    indptr = torch.zeros(n + 1, dtype=torch.int64, device=keys.device)
    indptr[1:] = torch.cumsum(torch.bincount(rows, minlength=n), 0)
    index_dtype = torch.int32 if n <= INT32_MAX else torch.int64
    return Csr(
        indptr=indptr,
        indices=(keys - rows * n).to(index_dtype),
        n_nodes=n,
        directed=directed,
        n_edges=shape.n_edges,
        weights=weights,
        labels=shape.labels,
        dropped_self_loops=shape.dropped_self_loops,
        dropped_duplicates=shape.dropped_duplicates,
    )


def _distinct(
    keys: torch.Tensor, weights: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Sorted distinct keys, and for each the weight of its last occurrence."""
    if weights is None:
        return torch.unique(keys), None
    unique, inverse = torch.unique(keys, return_inverse=True)
    order = torch.arange(keys.numel(), device=keys.device)
    last = torch.full_like(unique, -1).scatter_reduce(0, inverse, order, "amax")
    return unique, weights[last]


def _check_edges(
    src: torch.Tensor, dst: torch.Tensor, weights: torch.Tensor | None, n_nodes: int
) -> None:
    if n_nodes < 1:
        raise UsageError(f"a graph needs at least one node, got n_nodes={n_nodes}")
    if src.numel() != dst.numel() or (weights is not None and weights.numel() != src.numel()):
        raise UsageError("src, dst (and weights) must have one entry per edge")
    if src.numel() == 0:
        raise UsageError("the edge list is empty (an empty graph)")
    low, high = int(torch.minimum(src, dst).min()), int(torch.maximum(src, dst).max())
    if low < 0 or high >= n_nodes:
        raise UsageError(f"node ids must lie in [0, {n_nodes}), got [{low}, {high}]")


def _device_of(value: Any) -> torch.device:
    return value.device if isinstance(value, torch.Tensor) else torch.device("cpu")


def from_networkx(graph: Any, weight: str | None = "weight", device: Any = None) -> Csr:
    """The CSR of a networkx graph, nodes relabelled 0..n-1 in `list(graph)` order (the labels
    are kept). Edges carry `weight` where any edge has it (missing ones weigh 1, as in networkx)."""
    if graph.is_multigraph():
        raise UsageError("multigraphs are not supported: collapse with nx.Graph(G) first")
    labels = list(graph)
    if not labels:
        raise UsageError("the networkx graph has no nodes (an empty graph)")
    index = {label: i for i, label in enumerate(labels)}
    triples = [(index[u], index[v], w) for u, v, w in graph.edges(data=weight, default=None)]
    if not triples:
        raise UsageError("the networkx graph has no edges (an empty graph)")
    src, dst, raw = zip(*triples, strict=True)
    weighted = weight is not None and any(w is not None for w in raw)
    weights = [1.0 if w is None else float(w) for w in raw] if weighted else None
    return from_edges(
        list(src),
        list(dst),
        len(labels),
        directed=graph.is_directed(),
        weights=weights,
        labels=labels,
        device=device,
    )


def to_networkx(graph: Csr) -> Any:
    """The networkx graph of a CSR (nodes in index order, original labels, weights as
    'weight'): what the networkx engine runs on."""
    import networkx as nx

    out = nx.DiGraph() if graph.directed else nx.Graph()
    names = list(range(graph.n_nodes)) if graph.labels is None else list(graph.labels)
    out.add_nodes_from(names)
    src, dst, weights = graph.edge_list()
    pairs = zip(src.tolist(), dst.tolist(), strict=True)
    if graph.labels is not None:
        pairs = ((names[u], names[v]) for u, v in pairs)
    if weights is None:
        out.add_edges_from(pairs)
    else:
        out.add_weighted_edges_from(
            ((u, v, w) for (u, v), w in zip(pairs, weights.tolist(), strict=True)), weight="weight"
        )
    return out
