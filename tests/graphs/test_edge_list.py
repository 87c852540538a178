"""A graph you type: parsing, the empty graph refused before any work, and a run that checks it."""

from __future__ import annotations

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.graphs import (
    ALGORITHMS,
    EDGE_LIST,
    NETWORKX,
    OURS,
    GraphConfig,
    GraphSpec,
    edge_list_spec,
    parse_edge_list,
    planned_work,
    prepare_graph,
    run_suite,
)
from gpulab.workloads.graphs.edge_list import MAX_PAIRS

TEXT = """# a triangle, a pair, a self-loop, a repeat
alice bob
bob, carol
carol\talice

dave erin   # trailing comment
frank frank
alice bob
"""


def test_pairs_are_read_line_by_line_with_comments_and_separators() -> None:
    assert parse_edge_list(TEXT) == (
        ("alice", "bob"),
        ("bob", "carol"),
        ("carol", "alice"),
        ("dave", "erin"),
        ("frank", "frank"),
        ("alice", "bob"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the edge list is empty (an empty graph)"),
        ("# only a comment\n\n", "the edge list is empty (an empty graph)"),
        ("a b\nc\n", "edge list line 2: expected two node names ('u v'), got 'c'"),
        ("a b c\n", "line 1: expected two node names"),
        ("a a\nb b\n", "no edges once self-loops are dropped (an empty graph)"),
        ("a b\n" * (MAX_PAIRS + 1), "a typed list holds up to"),
    ],
)
def test_bad_or_empty_text_is_a_one_line_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        edge_list_spec(text)


def test_an_empty_edge_list_spec_does_not_validate() -> None:
    with pytest.raises(UsageError, match="an empty graph"):
        GraphConfig(graphs=(GraphSpec(EDGE_LIST),)).validate()


def test_the_graph_keeps_its_names_and_counts_what_it_dropped() -> None:
    prepared = prepare_graph(edge_list_spec(TEXT), "cpu")
    csr, info = prepared.csr, prepared.info
    assert csr.labels == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert (csr.n_nodes, csr.n_edges) == (6, 4)  # frank stays, alone
    assert (info.dropped_self_loops, info.dropped_duplicates) == (1, 1)
    assert info.generate_s is None and info.to_csr_s > 0
    graph = prepared.networkx()
    assert sorted(graph.nodes) == sorted(csr.labels) and graph.number_of_edges() == 4


def test_a_directed_edge_list_runs_every_algorithm_and_each_answer_equals_networkx() -> None:
    config = GraphConfig(
        graphs=(edge_list_spec(TEXT, directed=True),),
        device="cpu",
        warmup=0,
        repeats=1,
        networkx_repeats=1,
    )
    calls: list[tuple[float, float, str]] = []
    result = run_suite(config, progress=lambda d, t, n: calls.append((d, t, n)))
    assert calls[0][1] == planned_work(config)  # the bar's total is the suite's own
    for algorithm in ALGORITHMS:
        for engine in (OURS, NETWORKX):
            row = result.row(engine, "edge_list-directed", algorithm)
            assert row is not None and row.ran, (engine, algorithm, row)
    assert [c.describe() for c in result.checks if c.status != "passed"] == []
    note = result.row(OURS, "edge_list-directed", "components").note
    assert note.startswith("directed input converted to undirected")
