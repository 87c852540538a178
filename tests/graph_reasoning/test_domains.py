"""The generators: deterministic, balanced, labelled by structure (checked against networkx),
and free of leaks (no input triple decides the label)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np

from gpulab.workloads.graph_reasoning import DOMAINS, generate
from gpulab.workloads.graph_reasoning.domains import KG_RULES, QUERY_RELATIONS, R, T


def _causal_by_networkx(inst) -> int:
    g = nx.DiGraph()
    g.add_nodes_from(range(inst.n_nodes))
    g.add_edges_from((s, d) for s, r, d in inst.edges if r == R["causes"])
    return int(
        nx.has_path(g, inst.node_types.index(T["treatment"]), inst.node_types.index(T["outcome"]))
    )


def _plan_by_networkx(inst) -> int:
    """Reachability in the explicit state graph (location, holding key), built by networkx."""
    types = inst.node_types
    robot, key, goal = (types.index(T[n]) for n in ("robot", "key", "goal"))
    at = {s: d for s, r, d in inst.edges if r == R["at"]}
    pick = any(r == R["can"] and types[d] == T["action_pick"] for s, r, d in inst.edges)
    g = nx.DiGraph()
    for s, r, d in inst.edges:
        for held in (False, True):
            if r == R["connects"] or (r == R["locked_door"] and held):
                g.add_edge((s, held), (d, held))
    if pick:
        g.add_edge((at[key], False), (at[key], True))
    g.add_nodes_from([(at[robot], False), (at[goal], False), (at[goal], True)])
    return int(any(nx.has_path(g, (at[robot], False), (at[goal], h)) for h in (False, True)))


def _kg_by_search(inst) -> int:
    head = inst.node_types.index(T["query_head"])
    tail = inst.node_types.index(T["query_tail"])
    first, second = KG_RULES[QUERY_RELATIONS[inst.query_relation]]
    facts = set(inst.edges)
    return int(
        any(
            (head, R[first], y) in facts and (y, R[second], tail) in facts
            for y in range(inst.n_nodes)
        )
    )


REFERENCE = {
    "causal": _causal_by_networkx,
    "planning": _plan_by_networkx,
    "knowledge_graph": _kg_by_search,
}


def test_same_seed_same_data_and_balanced_classes() -> None:
    for domain in DOMAINS:
        a, b = generate(domain, 60, seed=3), generate(domain, 60, seed=3)
        assert [(i.node_types, i.edges, i.label) for i in a] == [
            (i.node_types, i.edges, i.label) for i in b
        ]
        assert sum(i.label for i in a) == 30
        assert generate(domain, 60, seed=4)[0].edges != a[0].edges


def test_labels_follow_the_structure_by_an_independent_search() -> None:
    for domain in DOMAINS:
        for inst in generate(domain, 80, seed=1):
            assert REFERENCE[domain](inst) == inst.label, (domain, inst)


def test_no_input_triple_gives_the_label_away() -> None:
    """Causal: no treatment -> outcome edge; KG: the queried triple is never an input fact."""
    for inst in generate("causal", 120, seed=2):
        t, y = inst.node_types.index(T["treatment"]), inst.node_types.index(T["outcome"])
        assert (t, R["causes"], y) not in inst.edges
    for inst in generate("knowledge_graph", 120, seed=2):
        head = inst.node_types.index(T["query_head"])
        tail = inst.node_types.index(T["query_tail"])
        rel = R[QUERY_RELATIONS[inst.query_relation]]
        assert all(r != rel for _, r, _ in inst.edges)
        assert (head, rel, tail) not in inst.edges


def test_causal_counts_carry_no_label() -> None:
    """Relation and node-type counts are the same in both classes, so a rule on any one count
    (or any pair) cannot beat chance by much: the label lives in the structure."""
    data = generate("causal", 400, seed=5)
    counts = np.array(
        [
            [sum(r == k for _, r, _ in i.edges) for k in range(2)]
            + [i.node_types.count(t) for t in range(5)]
            for i in data
        ]
    )
    labels = np.array([i.label for i in data])
    best = 0.0
    for j, k in itertools.combinations_with_replacement(range(counts.shape[1]), 2):
        feature = counts[:, j] + counts[:, k]
        for cut in np.unique(feature):
            acc = ((feature > cut) == labels).mean()
            best = max(best, acc, 1 - acc)
    assert best < 0.62, best
