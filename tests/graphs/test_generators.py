"""Generated graphs: the asked size, simple (no self-loops, no duplicates), symmetric, seeded."""

from __future__ import annotations

import networkx as nx
import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads.graphs import (
    GraphSpec,
    barabasi_albert,
    barabasi_albert_edges,
    erdos_renyi,
    generate,
    rmat,
    rmat_edges,
    rmat_scale_for,
    to_networkx,
)
from gpulab.workloads.graphs.csr import Csr


def _assert_simple(csr: Csr) -> None:
    """No self-loops, no repeated entry in a row, rows sorted, both directions if undirected."""
    src, dst = csr.rows(), csr.indices.long()
    assert not bool((src == dst).any())
    keys = src * csr.n_nodes + dst
    assert bool((keys[1:] > keys[:-1]).all())  # strictly increasing: sorted and distinct
    if not csr.directed:
        reverse = torch.sort(dst * csr.n_nodes + src).values
        assert torch.equal(reverse, keys)
        assert csr.n_entries == 2 * csr.n_edges
    else:
        assert csr.n_entries == csr.n_edges


def test_raw_rmat_edges_have_the_asked_count_and_range(device) -> None:
    src, dst = rmat_edges(10, 16 * 2**10, seed=1, device=device)
    assert src.numel() == dst.numel() == 16 * 2**10
    assert int(src.min()) >= 0 and int(max(src.max(), dst.max())) < 2**10
    assert bool((src == dst).any())  # raw: self-loops included


@pytest.mark.parametrize("directed", [False, True])
def test_rmat_has_exactly_the_asked_edges_on_a_power_of_two(device, directed: bool) -> None:
    csr = rmat(10_000, directed=directed, seed=4, device=device)
    assert csr.n_nodes == 2**9 == 2 ** rmat_scale_for(10_000)
    assert csr.n_edges == 10_000
    assert csr.directed is directed
    _assert_simple(csr)
    graph = to_networkx(csr)
    assert graph.number_of_edges() == 10_000 and nx.number_of_selfloops(graph) == 0


def test_rmat_is_skewed_like_graph500() -> None:
    csr = rmat(50_000, seed=0)
    degrees = csr.degrees().double()
    assert degrees.max() > 15 * degrees.mean()  # power-law hubs
    assert int((degrees == 0).sum()) > 0  # and isolated nodes, as R-MAT has
    er = erdos_renyi(50_000, seed=0).degrees().double()
    assert er.max() < 3 * er.mean()  # a uniform graph has none of that


def test_generators_are_deterministic_for_a_seed() -> None:
    for make in (rmat, erdos_renyi, barabasi_albert):
        first, again, other = make(5_000, seed=11), make(5_000, seed=11), make(5_000, seed=12)
        assert torch.equal(first.indptr, again.indptr)
        assert torch.equal(first.indices, again.indices)
        assert not torch.equal(first.indices, other.indices) or not torch.equal(
            first.indptr, other.indptr
        )


def test_erdos_renyi_is_g_n_m(device) -> None:
    csr = erdos_renyi(20_000, edge_factor=10, seed=2, device=device)
    assert (csr.n_nodes, csr.n_edges) == (2_000, 20_000)
    _assert_simple(csr)


def test_barabasi_albert_attaches_by_degree() -> None:
    src, dst = barabasi_albert_edges(2_000, 4, seed=0)
    assert src.numel() == 8_000
    assert bool((dst <= src).all())  # a new node attaches only to itself or older nodes
    csr = barabasi_albert(8_000, edge_factor=4, seed=0)
    _assert_simple(csr)
    assert csr.n_nodes == 2_000
    assert 0.85 * 8_000 < csr.n_edges <= 8_000  # repeats and self-loops dropped
    assert csr.dropped_self_loops + csr.dropped_duplicates == 8_000 - csr.n_edges
    degrees = csr.degrees().double()
    assert degrees[:20].mean() > 5 * degrees[-1000:].mean()  # the first nodes became hubs
    assert nx.is_connected(to_networkx(csr))


def test_generate_follows_the_spec() -> None:
    assert generate(GraphSpec("rmat", 2_000, directed=True)).directed
    assert generate(GraphSpec("erdos_renyi", 2_000)).n_edges == 2_000
    with pytest.raises(UsageError, match="undirected"):
        generate(GraphSpec("barabasi_albert", 2_000, directed=True))
    with pytest.raises(UsageError, match="do not fit on"):
        generate(GraphSpec("erdos_renyi", 100, edge_factor=50))  # 2 nodes hold 1 edge
