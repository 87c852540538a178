"""Instances -> PyTorch Geometric graphs: node features, typed edges with inverses, splits.

A node's features are the one-hot of its type plus, on a knowledge-graph query head, the one-hot
of the queried relation. Every relation also runs backwards as its own inverse relation, so a
relational layer can pass messages both ways along a typed edge. `bag` is the baseline's view of
a graph: counts of each relation and node type, with no structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import SPLIT
from .domains import NODE_TYPES, QUERY_RELATIONS, RELATIONS, Instance, generate

FEATURES = len(NODE_TYPES) + len(QUERY_RELATIONS)
NUM_RELATIONS = 2 * len(RELATIONS)  # each relation and its inverse
BAG_FEATURES = len(RELATIONS) + FEATURES


def to_data(inst: Instance) -> Any:
    """One instance as a `torch_geometric.data.Data` (x, edge_index, edge_type, y, bag)."""
    import torch
    from torch_geometric.data import Data

    n = inst.n_nodes
    x = torch.zeros(n, FEATURES)
    x[torch.arange(n), torch.tensor(inst.node_types)] = 1.0
    if inst.query_relation >= 0:
        head = inst.node_types.index(NODE_TYPES.index("query_head"))
        x[head, len(NODE_TYPES) + inst.query_relation] = 1.0
    src = [s for s, _, _ in inst.edges] + [d for _, _, d in inst.edges]
    dst = [d for _, _, d in inst.edges] + [s for s, _, _ in inst.edges]
    rel = [r for _, r, _ in inst.edges] + [r + len(RELATIONS) for _, r, _ in inst.edges]
    bag = torch.zeros(BAG_FEATURES)
    for _, r, _ in inst.edges:
        bag[r] += 1
    bag[len(RELATIONS) :] = x.sum(0)
    return Data(
        x=x,
        edge_index=torch.tensor([src, dst], dtype=torch.long),
        edge_type=torch.tensor(rel, dtype=torch.long),
        y=torch.tensor([inst.label]),
        node_type=torch.tensor(inst.node_types),
        bag=torch.log1p(bag).unsqueeze(0),
    )


@dataclass
class DomainData:
    """One domain's instances and graphs, split by instance into train / validation / test."""

    domain: str
    instances: list[Instance]
    train: list[Any]
    val: list[Any]
    test: list[Any]

    def balance(self) -> dict[str, dict[str, int]]:
        """Graphs per class in each split."""
        return {
            split: {f"class {c}": sum(int(g.y) == c for g in graphs) for c in (0, 1)}
            for split, graphs in (("train", self.train), ("val", self.val), ("test", self.test))
        }


def build_domain(domain: str, count: int, seed: int = 0) -> DomainData:
    """Generate `count` instances of `domain` from `seed` and split them 70 / 15 / 15."""
    instances = generate(domain, count, seed)
    graphs = [to_data(inst) for inst in instances]
    n_train = int(SPLIT[0] * count)
    n_val = int(SPLIT[1] * count)
    return DomainData(
        domain,
        instances,
        graphs[:n_train],
        graphs[n_train : n_train + n_val],
        graphs[n_train + n_val :],
    )
