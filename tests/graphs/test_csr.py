"""The device CSR: built from edge lists and networkx graphs, and back, losing nothing."""

from __future__ import annotations

import networkx as nx
import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads.graphs import from_edges, from_networkx, rmat, to_networkx


def _edges(graph: nx.Graph) -> set:
    if graph.is_directed():
        return {(u, v, d.get("weight")) for u, v, d in graph.edges(data=True)}
    return {(frozenset((u, v)), d.get("weight")) for u, v, d in graph.edges(data=True)}


def test_networkx_round_trip_keeps_labels_edges_and_weights(real, device) -> None:
    _, graph = real
    csr = from_networkx(graph, device=device)
    assert csr.device.type == device
    assert (csr.n_nodes, csr.n_edges) == (graph.number_of_nodes(), graph.number_of_edges())
    assert list(csr.labels) == list(graph)
    assert csr.index[list(graph)[5]] == 5
    back = to_networkx(csr)
    assert list(back) == list(graph)
    assert _edges(back) == _edges(graph)  # weights included where the graph has them


def test_edge_list_round_trip(device) -> None:
    csr = rmat(3_000, directed=True, seed=9, device=device)
    again = from_networkx(to_networkx(csr), device=device)
    assert torch.equal(again.indptr, csr.indptr)
    assert torch.equal(again.indices, csr.indices)
    src, dst, _ = csr.edge_list()
    rebuilt = from_edges(src, dst, csr.n_nodes, directed=True)
    assert torch.equal(rebuilt.indices, csr.indices)


def test_from_edges_drops_self_loops_and_duplicates_and_symmetrises() -> None:
    csr = from_edges([0, 1, 1, 2, 2, 3], [1, 0, 1, 3, 3, 0], 5, weights=[1, 2, 9, 4, 5, 6])
    # 0-1 twice (last weight wins, as in networkx), a loop on 1, 2-3 twice, 3-0
    assert csr.n_edges == 3 and csr.n_entries == 6
    assert (csr.dropped_self_loops, csr.dropped_duplicates) == (1, 2)
    assert csr.indptr.tolist() == [0, 2, 3, 4, 6, 6]
    assert csr.indices.tolist() == [1, 3, 0, 3, 0, 2]
    graph = to_networkx(csr)
    assert sorted(graph.edges(data="weight")) == [(0, 1, 2.0), (0, 3, 6.0), (2, 3, 5.0)]
    assert graph.has_node(4) and graph.degree(4) == 0
    assert csr.degrees().tolist() == [2, 1, 1, 2, 0]


def test_transpose_and_to_undirected() -> None:
    csr = from_edges([0, 0, 1], [1, 2, 2], 3, directed=True)
    assert csr.transpose().degrees().tolist() == [0, 1, 2]  # in-degrees
    assert csr.transpose().transpose().indices.tolist() == csr.indices.tolist()
    undirected = csr.to_undirected()
    assert not undirected.directed and undirected.degrees().tolist() == [2, 2, 2]
    assert undirected.to_undirected() is undirected and undirected.transpose() is undirected


def test_positions_expand_rows_without_a_loop() -> None:
    csr = from_edges([0, 0, 1, 3], [1, 2, 2, 1], 4)
    rows = torch.tensor([3, 0])
    assert csr.neighbours(rows).tolist() == [1, 1, 2]
    assert csr.positions(torch.tensor([], dtype=torch.int64)).numel() == 0


def test_bad_input_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="empty"):
        from_edges([], [], 4)
    with pytest.raises(UsageError, match="empty graph"):
        from_edges([1, 2], [1, 2], 4)  # self-loops only
    with pytest.raises(UsageError, match=r"in \[0, 3\)"):
        from_edges([0, 5], [1, 2], 3)
    with pytest.raises(UsageError, match="one entry per edge"):
        from_edges([0, 1], [1], 3)
    with pytest.raises(UsageError, match="no nodes"):
        from_networkx(nx.Graph())
    with pytest.raises(UsageError, match="no edges"):
        from_networkx(nx.empty_graph(5))
    with pytest.raises(UsageError, match="multigraph"):
        from_networkx(nx.MultiGraph([(0, 1), (0, 1)]))
