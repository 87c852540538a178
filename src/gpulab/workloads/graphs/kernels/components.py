"""Connected components by min-label propagation with pointer jumping.

Every node starts labelled with its own index. Each round, every node takes the smallest label
among itself and its neighbours (one scatter-min over all edges at once), then follows labels to
their labels (`label = label[label]`) until that stops changing: a label is always a node of the
same component with a label no larger, so jumping shortcuts long chains. At the fixed point every
node holds its component's smallest index, which is also how the partition is compared.
"""

from __future__ import annotations

import torch

from ..csr import Csr


def connected_components(graph: Csr) -> torch.Tensor:
    """Per node, the smallest node index of its component (int64). Undirected graphs only."""
    if graph.directed:
        raise ValueError("components are defined here on undirected graphs: to_undirected()")
    src, dst = graph.rows(), graph.indices.long()
    labels = torch.arange(graph.n_nodes, device=graph.device)
    while True:
        hooked = labels.scatter_reduce(0, src, labels[dst], reduce="amin", include_self=True)
        jumped = _jump(hooked)
        if torch.equal(jumped, labels):
            return labels
        labels = jumped


def _jump(labels: torch.Tensor) -> torch.Tensor:
    """Follow every label to its label's label until nothing changes (pointer jumping)."""
    while True:
        jumped = labels[labels]
        if torch.equal(jumped, labels):
            return labels
        labels = jumped


def component_count(labels: torch.Tensor) -> int:
    """How many components a label vector has (the nodes that are their own label)."""
    ids = torch.arange(labels.numel(), device=labels.device)
    return int((labels == ids).sum())
