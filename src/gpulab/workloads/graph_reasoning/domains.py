"""The three reasoning domains, generated from a seed: causal, planning, knowledge graph.

Every label is computed from the instance's own structure (a reachability search or the rules'
closure), never read from a triple in the input, and classes are balanced by drawing until each
has its half. Node types and relations share one vocabulary across domains so that a model
trained on one domain can be evaluated on the others. Pure Python and NumPy: no torch here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

NODE_TYPES = (
    # causal
    "treatment",
    "outcome",
    "mediator",
    "confounder",
    "variable",
    # planning
    "robot",
    "location",
    "key",
    "goal",
    "action_move",
    "action_pick",
    # knowledge graph
    "entity",
    "query_head",
    "query_tail",
)
CAUSAL_RELATIONS = ("causes", "correlates")
PLANNING_RELATIONS = ("connects", "locked_door", "at", "can")
KG_BASE = ("r0", "r1", "r2", "r3", "r4", "r5")
KG_DERIVED = ("r6", "r7")
RELATIONS = CAUSAL_RELATIONS + PLANNING_RELATIONS + KG_BASE + KG_DERIVED
# The knowledge graph's rules: derived(x, z) <- first(x, y) and second(y, z).
KG_RULES = {"r6": ("r0", "r1"), "r7": ("r2", "r3")}
QUERY_RELATIONS = KG_DERIVED
T = {name: index for index, name in enumerate(NODE_TYPES)}
R = {name: index for index, name in enumerate(RELATIONS)}


@dataclass
class Instance:
    """One labelled graph: typed nodes, typed directed edges (src, relation, dst), a label."""

    domain: str
    node_types: list[int]
    edges: list[tuple[int, int, int]]
    label: int
    query_relation: int = -1  # knowledge graph: index into QUERY_RELATIONS, on the query head
    names: list[str] = field(default_factory=list)

    @property
    def n_nodes(self) -> int:
        return len(self.node_types)


def _reachable(n: int, edges: list[tuple[int, int]], start: int) -> set[int]:
    """Nodes reachable from `start` along directed edges (breadth-first)."""
    out: dict[int, list[int]] = {i: [] for i in range(n)}
    for src, dst in edges:
        out[src].append(dst)
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in out[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def causal_label(inst: Instance) -> int:
    """1 where a directed `causes` path leads from the treatment to the outcome."""
    causes = [(s, d) for s, r, d in inst.edges if r == R["causes"]]
    start = inst.node_types.index(T["treatment"])
    return int(inst.node_types.index(T["outcome"]) in _reachable(inst.n_nodes, causes, start))


def _causal(rng: np.random.Generator, positive: bool) -> Instance:
    k = int(rng.integers(2, 5))  # mediators on the chain
    n_conf, n_side, n_var = (
        int(rng.integers(1, 3)),
        int(rng.integers(1, 3)),
        int(rng.integers(2, 5)),
    )
    types = [T["treatment"], T["outcome"]] + [T["mediator"]] * (k + n_side)
    types += [T["confounder"]] * n_conf + [T["variable"]] * n_var
    chain = [0, *range(2, 2 + k), 1]
    edges = [(chain[i], chain[i + 1]) for i in range(len(chain) - 1)]
    if not positive:  # one chain edge reversed: the same relations, no causal path
        i = int(rng.integers(len(edges)))
        edges[i] = edges[i][::-1]
    side = list(range(2 + k, 2 + k + n_side))
    conf = list(range(2 + k + n_side, 2 + k + n_side + n_conf))
    var = list(range(2 + k + n_side + n_conf, len(types)))
    for s in side:  # dead-end mediators touching the treatment or the outcome, in both classes
        edges.append((0, s) if rng.random() < 0.5 else (s, 1))
    for c in conf:  # a back door: confounder -> treatment and -> outcome
        edges += [(c, 0), (c, 1)]
    for v in var:  # background variables feeding the chain's mediators
        edges.append((v, int(rng.choice(chain[1:-1]))))
    triples = [(s, R["causes"], d) for s, d in edges]
    for _ in range(int(rng.integers(1, 4))):  # symmetric noise, the treatment-outcome pair too
        a, b = (int(x) for x in rng.choice(len(types), size=2, replace=False))
        triples.append((a, R["correlates"], b))
    perm = rng.permutation(len(types))
    return _permuted("causal", types, triples, perm)


def _permuted(
    domain: str,
    types: list[int],
    triples: list[tuple[int, int, int]],
    perm: np.ndarray,
    query_relation: int = -1,
) -> Instance:
    """Shuffle node ids so no position carries the label or a node's role."""
    where = {int(old): new for new, old in enumerate(perm)}
    new_types = [types[int(old)] for old in perm]
    new_edges = [(where[s], r, where[d]) for s, r, d in triples]
    inst = Instance(domain, new_types, new_edges, label=-1, query_relation=query_relation)
    inst.names = [f"{NODE_TYPES[t]}" for t in new_types]
    return inst


def plan_reachable(inst: Instance) -> int:
    """The planner: breadth-first search over (location, holding the key) states."""
    types = inst.node_types
    robot, key, goal = types.index(T["robot"]), types.index(T["key"]), types.index(T["goal"])
    at = {s: d for s, r, d in inst.edges if r == R["at"]}
    can_pick = any(
        r == R["can"] and s == robot and types[d] == T["action_pick"] for s, r, d in inst.edges
    )
    moves: dict[int, list[tuple[int, bool]]] = {}
    for s, r, d in inst.edges:
        if r in (R["connects"], R["locked_door"]):
            moves.setdefault(s, []).append((d, r == R["locked_door"]))
    start = (at[robot], False)
    seen, queue = {start}, deque([start])
    while queue:
        loc, held = queue.popleft()
        if loc == at[goal]:
            return 1
        nexts = [(d, held) for d, locked in moves.get(loc, []) if held or not locked]
        if can_pick and not held and loc == at[key]:
            nexts.append((loc, True))
        for state in nexts:
            if state not in seen:
                seen.add(state)
                queue.append(state)
    return 0


def _planning(rng: np.random.Generator) -> Instance:
    n_loc = int(rng.integers(5, 9))
    types = [T["robot"], T["key"], T["goal"], T["action_move"], T["action_pick"]]
    types += [T["location"]] * n_loc
    locs = list(range(5, 5 + n_loc))
    pairs = [(locs[i], locs[int(rng.integers(i))]) for i in range(1, n_loc)]  # a random tree
    for _ in range(int(rng.integers(0, 3))):
        a, b = (int(x) for x in rng.choice(locs, size=2, replace=False))
        pairs.append((a, b))
    triples = []
    for a, b in pairs:
        rel = R["locked_door"] if rng.random() < 0.3 else R["connects"]
        triples += [(a, rel, b), (b, rel, a)]
    for thing in (0, 1, 2):  # robot, key and goal each at a location
        triples.append((thing, R["at"], int(rng.choice(locs))))
    triples.append((0, R["can"], 3))
    if rng.random() < 0.6:
        triples.append((0, R["can"], 4))
    return _permuted("planning", types, triples, rng.permutation(len(types)))


def kg_closure(inst: Instance) -> set[tuple[int, int, int]]:
    """Every triple the input's facts imply under one application of `KG_RULES`."""
    facts = set(inst.edges)
    derived = set(facts)
    for head_rel, (first, second) in KG_RULES.items():
        for x, r1, y in facts:
            if r1 != R[first]:
                continue
            for y2, r2, z in facts:
                if r2 == R[second] and y2 == y:
                    derived.add((x, R[head_rel], z))
    return derived


def kg_label(inst: Instance) -> int:
    """1 where the queried triple (query head, query relation, query tail) holds under the rules."""
    head = inst.node_types.index(T["query_head"])
    tail = inst.node_types.index(T["query_tail"])
    rel = R[QUERY_RELATIONS[inst.query_relation]]
    return int((head, rel, tail) in kg_closure(inst))


def _kg(rng: np.random.Generator, positive: bool) -> Instance | None:
    n = int(rng.integers(9, 14))
    base = [R[r] for r in KG_BASE]
    triples = {
        (int(a), int(rng.choice(base)), int(b))
        for a, b in (rng.choice(n, size=2, replace=False) for _ in range(int(1.6 * n)))
    }
    probe = Instance("knowledge_graph", [T["entity"]] * n, sorted(triples), -1)
    closure = kg_closure(probe)
    q = int(rng.integers(len(QUERY_RELATIONS)))
    rel = R[QUERY_RELATIONS[q]]
    holds = [(x, z) for x, r, z in closure if r == rel and x != z and (x, rel, z) not in triples]
    if positive:
        candidates = holds
    else:  # corrupted: a two-hop pair along the wrong relations, where the query fails
        two_hop = {(x, z) for x, _, y in triples for y2, _, z in triples if y2 == y and x != z}
        candidates = [(x, z) for x, z in sorted(two_hop) if (x, rel, z) not in closure]
    if not candidates:
        return None
    head, tail = candidates[int(rng.integers(len(candidates)))]
    types = [T["entity"]] * n
    types[head], types[tail] = T["query_head"], T["query_tail"]
    return _permuted("knowledge_graph", types, sorted(triples), rng.permutation(n), q)


LABELLERS: dict[str, Callable[[Instance], int]] = {
    "causal": causal_label,
    "planning": plan_reachable,
    "knowledge_graph": kg_label,
}


def generate(domain: str, count: int, seed: int) -> list[Instance]:
    """`count` instances of `domain`, half of each class, the same for the same seed."""
    rng = np.random.default_rng([seed, list(LABELLERS).index(domain)])
    wanted = {0: count // 2, 1: count - count // 2}
    out: list[Instance] = []
    while any(wanted.values()):
        target = 1 if wanted[1] >= wanted[0] else 0
        if domain == "causal":
            inst: Instance | None = _causal(rng, positive=bool(target))
        elif domain == "planning":
            inst = _planning(rng)
        else:
            inst = _kg(rng, positive=bool(target))
        if inst is None:
            continue
        inst.label = LABELLERS[domain](inst)
        if wanted[inst.label]:
            wanted[inst.label] -= 1
            out.append(inst)
    order = rng.permutation(len(out))
    return [out[int(i)] for i in order]
