"""Shared fixtures: the real graphs networkx ships, and the devices the kernels run on here."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
import torch

from gpulab.workloads.graphs import REAL_GRAPHS, real_graph

# The CPU always; a CUDA GPU too where torch sees one (the same tests prove the GPU path).
DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.fixture(params=REAL_GRAPHS)
def real(request: pytest.FixtureRequest) -> tuple[str, nx.Graph]:
    return request.param, real_graph(request.param)


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> str:
    return request.param


def by_label(values: Any, labels: list[Any]) -> dict[Any, Any]:
    """A per-node tensor/array as {label: value}, the shape networkx answers in."""
    return {label: values[i].item() for i, label in enumerate(labels)}
