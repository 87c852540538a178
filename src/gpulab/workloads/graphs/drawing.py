"""Drawings of the small graphs: what each node's value is, where it sits, and networkx's check.

Node positions come from networkx's spring layout with a fixed seed (the same picture every
time); each node is coloured by what one of our kernels found on it (PageRank, its component,
its core number, its BFS level from the highest-degree node), computed on the CPU and compared
node by node with networkx's answer on the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gpulab.errors import UsageError

from .checks import CheckResult, compare
from .config import EDGE_LIST, NETWORKX, OURS, GraphConfig, GraphSpec
from .edge_list import edge_list_spec
from .networkx_engine import networkx_call, networkx_outcome
from .prepare import prepare_graph
from .tasks import make_task
from .torch_engine import ours_call, ours_outcome

# algorithm -> (legend title, Vega-Lite type of the colour scale)
COLOUR_BY: dict[str, tuple[str, str]] = {
    "pagerank": ("PageRank", "quantitative"),
    "components": ("component", "nominal"),
    "kcore": ("core number", "ordinal"),
    "bfs": ("BFS level", "ordinal"),
}
MAX_DRAWN_NODES = 300


@dataclass
class Drawing:
    """One graph ready to draw: nodes (name, x, y, value, degree), edges (x, y, x2, y2), the
    colour's title and scale type, and our answer's check against networkx's."""

    graph: str
    colour_by: str
    title: str
    scale: str
    check: CheckResult
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, float]] = field(default_factory=list)


def draw_graph(
    kind: str, colour_by: str, *, edge_text: str = "", directed: bool = False, seed: int = 0
) -> Drawing:
    """`kind` (a real graph, or `edge_list` with its text) drawn and coloured by `colour_by`."""
    if colour_by not in COLOUR_BY:
        raise UsageError(f"cannot colour by {colour_by!r} (choose from {', '.join(COLOUR_BY)})")
    spec = edge_list_spec(edge_text, directed) if kind == EDGE_LIST else GraphSpec(kind)
    if spec.generated:
        raise UsageError(f"{kind} is generated at scale: draw a real graph or an edge list")
    prepared = prepare_graph(spec, "cpu", seed)
    csr, _ = prepared.csr_for(colour_by)
    if csr.n_nodes > MAX_DRAWN_NODES:
        raise UsageError(
            f"{spec.name} has {csr.n_nodes:,} nodes: a drawing shows up to {MAX_DRAWN_NODES}"
        )
    task = make_task(colour_by, csr, GraphConfig())
    ours = ours_outcome(task, ours_call(task, csr)())
    graph, _ = prepared.networkx_for(colour_by)
    answer = networkx_call(task, graph, csr.label(task.source))()
    check = compare(colour_by, spec.name, OURS, ours, networkx_outcome(task, answer, csr), NETWORKX)
    title, scale = COLOUR_BY[colour_by]
    result = Drawing(spec.name, colour_by, title, scale, check)
    positions = _layout(graph, seed)
    degrees = csr.degrees().tolist()
    for i in range(csr.n_nodes):
        label = csr.label(i)
        x, y = positions[label]
        value = ours.values[i].item()
        result.nodes.append(
            {"node": str(label), "x": x, "y": y, "value": value, "degree": int(degrees[i])}
        )
    for u, v in graph.edges():
        (x, y), (x2, y2) = positions[u], positions[v]
        result.edges.append({"x": x, "y": y, "x2": x2, "y2": y2})
    return result


def _layout(graph: Any, seed: int) -> dict[Any, tuple[float, float]]:
    import networkx as nx

    positions = nx.spring_layout(graph, seed=seed)
    return {node: (float(p[0]), float(p[1])) for node, p in positions.items()}
