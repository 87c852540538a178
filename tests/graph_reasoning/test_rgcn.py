"""The one-pass relational convolution computes what PyG's RGCNConv (a loop over relations)
computes, values and gradients, on a batch of generated graphs."""

from __future__ import annotations

import torch
from torch_geometric.data import Batch
from torch_geometric.nn import RGCNConv

from gpulab.workloads.graph_reasoning.data import NUM_RELATIONS, build_domain
from gpulab.workloads.graph_reasoning.rgcn import RelationalConv


def _pair(in_dim: int, out_dim: int, bases: int) -> tuple[RelationalConv, RGCNConv]:
    ours = RelationalConv(in_dim, out_dim, NUM_RELATIONS, bases)
    theirs = RGCNConv(in_dim, out_dim, NUM_RELATIONS, num_bases=bases)
    with torch.no_grad():
        theirs.weight.copy_(ours.bases)
        theirs.comp.copy_(ours.comp)
        theirs.root.copy_(ours.root)
        ours.bias.normal_()
        theirs.bias.copy_(ours.bias)
    return ours, theirs


def test_matches_rgcnconv_values_and_gradients() -> None:
    torch.manual_seed(0)
    batch = Batch.from_data_list(build_domain("knowledge_graph", 60).train[:16])
    x = torch.randn(batch.num_nodes, 12, dtype=torch.float64, requires_grad=True)
    ours, theirs = (m.double() for m in _pair(12, 7, 4))
    out_ours = ours(x, batch.edge_index, batch.edge_type)
    out_theirs = theirs(x, batch.edge_index, batch.edge_type)
    assert torch.allclose(out_ours, out_theirs, atol=1e-12)
    grad_ours = torch.autograd.grad(out_ours.square().sum(), [x, ours.bases, ours.comp])
    grad_theirs = torch.autograd.grad(out_theirs.square().sum(), [x, theirs.weight, theirs.comp])
    for a, b in zip(grad_ours, grad_theirs, strict=True):
        assert torch.allclose(a, b, atol=1e-10)


def test_a_node_without_incoming_edges_keeps_only_its_root_transform() -> None:
    conv = RelationalConv(3, 2, NUM_RELATIONS, 2)
    x = torch.randn(3, 3)
    edge_index = torch.tensor([[0, 1], [1, 0]])  # node 2 hears from nobody
    out = conv(x, edge_index, torch.tensor([5, 9]))
    assert torch.allclose(out[2], x[2] @ conv.root + conv.bias)
