"""The models: a hierarchical R-GCN (ours) and the two baselines it must beat.

- `HierarchicalRGCN`: relational graph convolutions with basis decomposition (every relation's
  weight is a mix of `num_bases` shared matrices; `rgcn.RelationalConv`), `convs_before_pool` of
  them over the full graph (pooling after a single layer keeps nodes that have seen only their
  neighbours), then SAGPooling down `levels` levels with a convolution at each, a readout of every level summed into the
  classifier, and the way back up: each pooled level is scattered back to the nodes it kept and
  convolved over the finer graph, where a decoder must recover every node's type. That reconstruction (cycle-consistency) loss,
  weighted against cross-entropy, makes the pooled graphs keep what the input said.
- `FlatRGCN`: the same relational layers, no pooling: what the hierarchy is measured against.
- `BagMLP`: an MLP on the counts of each relation and node type, structure thrown away.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch_geometric.nn import SAGPooling, global_max_pool, global_mean_pool

from .config import FLAT, HIERARCHICAL, MLP, ReasoningConfig
from .data import BAG_FEATURES, FEATURES, NUM_RELATIONS
from .domains import NODE_TYPES
from .rgcn import RelationalConv


def _readout(h: torch.Tensor, batch: torch.Tensor, graphs: int) -> torch.Tensor:
    return torch.cat([global_mean_pool(h, batch, graphs), global_max_pool(h, batch, graphs)], 1)


def _head(hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2))


class HierarchicalRGCN(nn.Module):
    """R-GCN x convs_before_pool -> (SAGPool -> R-GCN) x levels -> classifier; unpool back down."""

    def __init__(
        self, hidden: int, num_bases: int, levels: int, ratio: float, convs_before_pool: int = 2
    ) -> None:
        super().__init__()
        bases = min(num_bases, NUM_RELATIONS)
        self.embed = nn.Linear(FEATURES, hidden)
        self.first = nn.ModuleList(
            RelationalConv(hidden, hidden, NUM_RELATIONS, bases) for _ in range(convs_before_pool)
        )
        self.down = nn.ModuleList(
            RelationalConv(hidden, hidden, NUM_RELATIONS, bases) for _ in range(levels)
        )
        self.pools = nn.ModuleList(SAGPooling(hidden, ratio=ratio) for _ in range(levels))
        self.up = nn.ModuleList(
            RelationalConv(hidden, hidden, NUM_RELATIONS, bases) for _ in range(levels)
        )
        self.decoder = nn.Linear(hidden, len(NODE_TYPES))
        self.classifier = _head(hidden)

    def forward(self, data: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """(class logits per graph, node-type logits per input node after the round trip)."""
        graphs = int(data.num_graphs)
        x, edge_index, edge_type, batch = data.x, data.edge_index, data.edge_type, data.batch
        h = torch.relu(self.embed(x))
        for conv in self.first:
            h = torch.relu(conv(h, edge_index, edge_type))
        readout = _readout(h, batch, graphs)
        trail = []  # what each level needs on the way back up
        for pool, conv in zip(self.pools, self.down, strict=True):
            trail.append((h.size(0), edge_index, edge_type))
            h, edge_index, edge_type, batch, perm, _ = pool(h, edge_index, edge_type, batch)
            h = torch.relu(conv(h, edge_index, edge_type))
            readout = readout + _readout(h, batch, graphs)
            trail[-1] = (*trail[-1], perm)
        logits = self.classifier(readout)
        for conv, (n, fine_index, fine_type, perm) in zip(
            reversed(self.up), reversed(trail), strict=True
        ):
            up = h.new_zeros(n, h.size(1))
            up[perm] = h  # nodes pooling dropped start empty and hear from the kept ones
            h = torch.relu(conv(up, fine_index, fine_type))
        return logits, self.decoder(h)


class FlatRGCN(nn.Module):
    """Three R-GCN layers and the same readout and classifier, no pooling."""

    def __init__(self, hidden: int, num_bases: int, layers: int = 3) -> None:
        super().__init__()
        bases = min(num_bases, NUM_RELATIONS)
        self.embed = nn.Linear(FEATURES, hidden)
        self.convs = nn.ModuleList(
            RelationalConv(hidden, hidden, NUM_RELATIONS, bases) for _ in range(layers)
        )
        self.classifier = _head(hidden)

    def forward(self, data: Any) -> tuple[torch.Tensor, None]:
        h = torch.relu(self.embed(data.x))
        for conv in self.convs:
            h = torch.relu(conv(h, data.edge_index, data.edge_type))
        return self.classifier(_readout(h, data.batch, int(data.num_graphs))), None


class BagMLP(nn.Module):
    """Counts of relations and node types (log1p) -> MLP: no structure at all."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(BAG_FEATURES, 2 * hidden),
            nn.ReLU(),
            nn.Linear(2 * hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2),
        )

    def forward(self, data: Any) -> tuple[torch.Tensor, None]:
        return self.net(data.bag), None


def build_model(name: str, config: ReasoningConfig) -> nn.Module:
    """A fresh model of kind `name`, sized by the config."""
    if name == HIERARCHICAL:
        return HierarchicalRGCN(
            config.hidden,
            config.num_bases,
            config.levels,
            config.pool_ratio,
            config.convs_before_pool,
        )
    if name == FLAT:
        return FlatRGCN(config.hidden, config.num_bases)
    if name == MLP:
        return BagMLP(config.hidden)
    raise ValueError(f"unknown model {name!r}")
