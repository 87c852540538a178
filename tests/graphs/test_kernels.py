"""Every kernel on the four real graphs equals networkx, node by node; PageRank also on a directed
graph with dangling nodes, and it fails to converge exactly where networkx does."""

from __future__ import annotations

import networkx as nx
import pytest
import torch

from gpulab.workloads.graphs import (
    betweenness,
    bfs_levels,
    connected_components,
    core_numbers,
    from_networkx,
    levels_as_dict,
    pagerank,
    rmat,
    sample_sources,
    to_networkx,
    triangles,
)

from .conftest import by_label


def _max_diff(ours: dict, theirs: dict) -> float:
    assert ours.keys() == theirs.keys()
    return max(abs(ours[k] - theirs[k]) for k in theirs)


def test_pagerank_equals_networkx_weighted_as_networkx_is(real, device) -> None:
    name, graph = real
    csr = from_networkx(graph, device=device)
    # karate and les_miserables carry weights, which nx.pagerank uses by default
    assert (csr.weights is not None) == (name in ("karate", "les_miserables"))
    result = pagerank(csr)
    assert _max_diff(by_label(result.scores, csr.labels), nx.pagerank(graph)) <= 1e-12
    assert 1 < result.iterations < 100
    assert result.l1_change < csr.n_nodes * 1e-6
    assert result.scores.sum().item() == pytest.approx(1.0, abs=1e-12)


def test_pagerank_with_dangling_nodes_on_a_directed_graph(device) -> None:
    graph = nx.gnc_graph(300, seed=3)  # a growing network: every edge points to an older node
    dangling = [v for v in graph if graph.out_degree(v) == 0]
    assert len(dangling) >= 1
    csr = from_networkx(graph, device=device)
    assert csr.directed
    expected = nx.pagerank(graph)
    assert _max_diff(by_label(pagerank(csr).scores, csr.labels), expected) <= 1e-12
    # many dangling nodes: a directed R-MAT graph
    generated = rmat(3_000, directed=True, seed=5, device=device)
    assert int((generated.degrees() == 0).sum()) > 20  # on the CPU and CUDA streams
    expected = nx.pagerank(to_networkx(generated))
    ours = by_label(pagerank(generated).scores, list(range(generated.n_nodes)))
    assert _max_diff(ours, expected) <= 1e-12


def test_pagerank_does_not_converge_where_networkx_does_not() -> None:
    graph = nx.karate_club_graph()
    with pytest.raises(nx.PowerIterationFailedConvergence):
        nx.pagerank(graph, max_iter=3)
    with pytest.raises(nx.PowerIterationFailedConvergence):
        pagerank(from_networkx(graph), max_iter=3)
    iterations = pagerank(from_networkx(graph)).iterations
    assert pagerank(from_networkx(graph), max_iter=iterations).iterations == iterations
    with pytest.raises(nx.PowerIterationFailedConvergence):
        pagerank(from_networkx(graph), max_iter=iterations - 1)


def test_bfs_levels_equal_networkx_from_every_source(real, device) -> None:
    _, graph = real
    csr = from_networkx(graph, device=device)
    for index, label in enumerate(csr.labels):
        ours = {csr.labels[i]: level for i, level in levels_as_dict(bfs_levels(csr, index)).items()}
        assert ours == nx.single_source_shortest_path_length(graph, label)


def test_bfs_marks_unreachable_nodes() -> None:
    graph = nx.DiGraph([(0, 1), (1, 2), (3, 0)])
    levels = bfs_levels(from_networkx(graph), 0)
    assert levels.tolist() == [0, 1, 2, -1]
    with pytest.raises(ValueError, match="not a node"):
        bfs_levels(from_networkx(graph), 9)


def _partition(labels: torch.Tensor, names: list) -> set[frozenset]:
    groups: dict[int, set] = {}
    for i, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(names[i])
    return {frozenset(g) for g in groups.values()}


def test_components_equal_networkx(real, device) -> None:
    _, graph = real
    csr = from_networkx(graph, device=device)
    expected = {frozenset(c) for c in nx.connected_components(graph)}
    assert _partition(connected_components(csr), csr.labels) == expected
    # the real graphs are connected: a disjoint copy makes the partition non-trivial
    doubled = nx.disjoint_union(graph, nx.path_graph(7))
    doubled.add_node("alone")
    csr = from_networkx(doubled, device=device)
    expected = {frozenset(c) for c in nx.connected_components(doubled)}
    assert len(expected) == 3
    assert _partition(connected_components(csr), csr.labels) == expected


def test_triangles_equal_networkx(real, device) -> None:
    _, graph = real
    csr = from_networkx(graph, device=device)
    assert by_label(triangles(csr), csr.labels) == nx.triangles(graph)


def test_triangles_in_small_chunks_equal_one_pass(device) -> None:
    csr = rmat(5_000, seed=2, device=device)
    whole = triangles(csr)
    assert int(whole.sum()) > 0
    assert torch.equal(triangles(csr, chunk=1_000), whole)
    assert by_label(whole, list(range(csr.n_nodes))) == nx.triangles(to_networkx(csr))


def test_core_numbers_equal_networkx(real, device) -> None:
    _, graph = real
    csr = from_networkx(graph, device=device)
    assert by_label(core_numbers(csr), csr.labels) == nx.core_number(graph)


@pytest.mark.parametrize("normalized", [True, False])
def test_exact_betweenness_equals_networkx(real, device, normalized: bool) -> None:
    _, graph = real
    csr = from_networkx(graph, device=device)
    expected = nx.betweenness_centrality(graph, normalized=normalized)
    ours = by_label(betweenness(csr, normalized=normalized), csr.labels)
    assert _max_diff(ours, expected) <= 1e-9


@pytest.mark.parametrize(("k", "seed"), [(5, 0), (12, 7)])
def test_sampled_betweenness_uses_networkx_sources(real, device, k: int, seed: int) -> None:
    _, graph = real
    csr = from_networkx(graph, device=device)
    expected = nx.betweenness_centrality(graph, k=k, seed=seed)
    sources = sample_sources(csr, k, seed)
    assert len(set(sources)) == k
    assert _max_diff(by_label(betweenness(csr, sources), csr.labels), expected) <= 1e-9
    # another seed picks other sources: the comparison above could have failed
    other = by_label(betweenness(csr, sample_sources(csr, k, seed + 1)), csr.labels)
    assert _max_diff(other, expected) > 1e-6


def test_sampled_betweenness_on_a_directed_generated_graph(device) -> None:
    csr = rmat(4_000, directed=True, seed=1, device=device)
    graph = to_networkx(csr)
    for normalized in (True, False):
        expected = nx.betweenness_centrality(graph, k=20, seed=3, normalized=normalized)
        ours = betweenness(csr, sample_sources(csr, 20, 3), normalized=normalized, batch=7)
        assert _max_diff(by_label(ours, list(range(csr.n_nodes))), expected) <= 1e-9
    assert sample_sources(csr, csr.n_nodes, 0) is None  # k == n is exact, as in networkx
