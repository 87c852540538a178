"""Generated graphs at scale, vectorised in torch on the chosen device: R-MAT, G(n, m), BA.

Every generator draws from a `torch.Generator` seeded with `seed`, so a graph is reproducible on
the same device type (the CPU and CUDA streams differ). R-MAT and G(n, m) give exactly the asked
number of distinct edges: the random stream is drawn until that many distinct non-loop edges have
appeared, and the first ones seen are kept (for G(n, m) this is sampling without replacement,
i.e. a uniform graph with m edges).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from gpulab.errors import UsageError

from .config import EDGE_FACTOR, RMAT_A, RMAT_B, RMAT_C, GraphSpec
from .csr import Csr, from_edges

EdgeStream = Callable[[int], tuple[torch.Tensor, torch.Tensor]]  # count -> (src, dst)
MAX_ROUNDS = 8  # top-ups of the stream before giving up on a size the graph cannot reach


def _generator(seed: int, device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def rmat_edges(
    scale: int,
    count: int,
    *,
    seed: int = 0,
    device: Any = "cpu",
    a: float = RMAT_A,
    b: float = RMAT_B,
    c: float = RMAT_C,
    permutation: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` raw R-MAT edges on 2^scale nodes (self-loops and repeats included).

    Each edge descends `scale` levels of the adjacency matrix, picking a quadrant with
    probabilities a, b, c, d = 1 - a - b - c (Graph500's generator); the node ids are then
    permuted at random (by `permutation` where given), so an id says nothing about degree."""
    device = torch.device(device)
    g = generator if generator is not None else _generator(seed, device)
    if permutation is None:
        permutation = _node_permutation(scale, g, device)
    src = torch.zeros(count, dtype=torch.int64, device=device)
    dst = torch.zeros(count, dtype=torch.int64, device=device)
    a_given_top = a / (a + b)  # P(left half | top half)
    c_given_bottom = c / (1 - a - b)  # P(left half | bottom half)
    for bit in range(scale):
        bottom = torch.rand(count, generator=g, device=device) > a + b
        right_if = torch.where(bottom, c_given_bottom, a_given_top)
        right = torch.rand(count, generator=g, device=device) > right_if
        src |= bottom.long() << bit
        dst |= right.long() << bit
    return permutation[src], permutation[dst]


def _node_permutation(scale: int, g: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.randperm(2**scale, generator=g, device=device)


def _first_distinct(
    src: torch.Tensor, dst: torch.Tensor, n: int, directed: bool, limit: int
) -> torch.Tensor:
    """Keys (u * n + v) of the first `limit` distinct non-loop edges of the stream, or of all
    of them when there are fewer."""
    keep = src != dst
    u, v = src[keep], dst[keep]
    if not directed:
        u, v = torch.minimum(u, v), torch.maximum(u, v)
    keys = u * n + v
    unique, inverse = torch.unique(keys, return_inverse=True)
    if unique.numel() <= limit:
        return unique
    order = torch.arange(keys.numel(), device=keys.device)
    first_seen = torch.full_like(unique, keys.numel()).scatter_reduce(0, inverse, order, "amin")
    earliest = torch.sort(first_seen).indices[:limit]
    return unique[earliest]


@dataclass(frozen=True)
class EdgeList:
    """Generated edges before conversion: what `from_edges` turns into a CSR (timed apart)."""

    src: torch.Tensor
    dst: torch.Tensor
    n_nodes: int
    directed: bool
    drawn: int = 0  # raw edges drawn from the generator, repeats and self-loops included

    def to_csr(self) -> Csr:
        return from_edges(self.src, self.dst, self.n_nodes, directed=self.directed)


def distinct_edges(stream: EdgeStream, n_nodes: int, n_edges: int, directed: bool) -> EdgeList:
    """The first `n_edges` distinct non-loop edges `stream` produces."""
    srcs: list[torch.Tensor] = []
    dsts: list[torch.Tensor] = []
    have, draw = 0, int(n_edges * 1.1) + 16
    for _ in range(MAX_ROUNDS):
        src, dst = stream(draw)
        srcs.append(src)
        dsts.append(dst)
        keys = _first_distinct(torch.cat(srcs), torch.cat(dsts), n_nodes, directed, n_edges)
        have = keys.numel()
        if have >= n_edges:
            drawn = sum(s.numel() for s in srcs)
            return EdgeList(keys // n_nodes, keys % n_nodes, n_nodes, directed, drawn)
        # draw what the distinct rate seen so far says is missing, and a margin
        rate = max(have / sum(s.numel() for s in srcs), 1e-3)
        draw = int((n_edges - have) / rate * 1.2) + 16
    raise UsageError(
        f"{n_edges} distinct edges were not reached on {n_nodes} nodes ({have} after "
        f"{MAX_ROUNDS} rounds): the graph is too dense for its generator; lower edges"
    )


def rmat_edge_list(
    n_edges: int,
    edge_factor: int = EDGE_FACTOR,
    *,
    directed: bool = False,
    seed: int = 0,
    device: Any = "cpu",
) -> EdgeList:
    """Exactly `n_edges` distinct R-MAT edges on 2^scale nodes, scale the nearest to
    log2(n_edges / edge_factor) (Graph500's a, b, c, d)."""
    spec = GraphSpec("rmat", n_edges, edge_factor, directed)
    spec.validate()
    device = torch.device(device)
    g = _generator(seed, device)
    permutation = _node_permutation(spec.scale, g, device)

    def stream(count: int) -> tuple[torch.Tensor, torch.Tensor]:
        # one permutation for the whole stream, so top-up edges land on the same nodes
        return rmat_edges(spec.scale, count, device=device, permutation=permutation, generator=g)

    return distinct_edges(stream, spec.n_nodes, n_edges, directed)


def erdos_renyi_edge_list(
    n_edges: int,
    edge_factor: int = EDGE_FACTOR,
    *,
    directed: bool = False,
    seed: int = 0,
    device: Any = "cpu",
) -> EdgeList:
    """G(n, m): `n_edges` distinct edges chosen uniformly on n = n_edges / edge_factor nodes."""
    spec = GraphSpec("erdos_renyi", n_edges, edge_factor, directed)
    spec.validate()
    device = torch.device(device)
    g = _generator(seed, device)
    n = spec.n_nodes

    def stream(count: int) -> tuple[torch.Tensor, torch.Tensor]:
        pairs = torch.randint(0, n, (2, count), generator=g, device=device)
        return pairs[0], pairs[1]

    return distinct_edges(stream, n, n_edges, directed)


def barabasi_albert_edges(
    n_nodes: int, m: int, *, seed: int = 0, device: Any = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Preferential attachment, all at once (Batagelj and Brandes' edge-copying form).

    Edge i starts at node i // m and ends at the endpoint found at a uniform position r <= 2i of
    the list of all endpoints so far; a node appears there once per unit of degree, so it is
    picked with probability proportional to its degree. Position r holds a start (known) when
    even, and edge (r - 1) / 2's end when odd: those references are followed to a start by
    pointer jumping, all edges together, instead of a Python loop over nodes."""
    device = torch.device(device)
    g = _generator(seed, device)
    count = n_nodes * m
    edge = torch.arange(count, device=device)
    pointer = torch.rand(count, generator=g, device=device, dtype=torch.float64) * (2 * edge + 1)
    pointer = pointer.long().clamp_(max=2 * edge)
    while True:
        odd = pointer % 2 == 1
        if not bool(odd.any()):
            break
        pointer = torch.where(odd, _follow(pointer, odd), pointer)
    return edge // m, (pointer // 2) // m


def _follow(pointer: torch.Tensor, odd: torch.Tensor) -> torch.Tensor:
    """One jump: an odd position r takes the position edge (r - 1) / 2's end refers to."""
    referenced = torch.where(odd, (pointer - 1) // 2, 0)
    return pointer[referenced]


def barabasi_albert_edge_list(
    n_edges: int, edge_factor: int = EDGE_FACTOR, *, seed: int = 0, device: Any = "cpu"
) -> EdgeList:
    """A Barabási–Albert graph's raw edges on n_edges / edge_factor nodes, edge_factor attached
    per node; `from_edges` drops the repeated targets and self-loops, so it has a few fewer."""
    spec = GraphSpec("barabasi_albert", n_edges, edge_factor)
    spec.validate()
    src, dst = barabasi_albert_edges(spec.n_nodes, edge_factor, seed=seed, device=device)
    return EdgeList(src, dst, spec.n_nodes, directed=False, drawn=src.numel())


def generate_edges(spec: GraphSpec, seed: int = 0, device: Any = "cpu") -> EdgeList:
    """The edge list of the generated graph `spec` describes, on `device`."""
    spec.validate()
    size = {"edge_factor": spec.edge_factor, "seed": seed, "device": device}
    if spec.kind == "rmat":
        return rmat_edge_list(spec.edges, directed=spec.directed, **size)
    if spec.kind == "erdos_renyi":
        return erdos_renyi_edge_list(spec.edges, directed=spec.directed, **size)
    if spec.kind == "barabasi_albert":
        if spec.directed:
            raise UsageError("barabasi_albert graphs are undirected here")
        return barabasi_albert_edge_list(spec.edges, **size)
    raise UsageError(f"{spec.kind!r} is not a generated graph kind")


def generate(spec: GraphSpec, seed: int = 0, device: Any = "cpu") -> Csr:
    """The generated graph `spec` describes, as a CSR on `device`."""
    return generate_edges(spec, seed, device).to_csr()


def rmat(n_edges: int, edge_factor: int = EDGE_FACTOR, **options: Any) -> Csr:
    """An R-MAT graph with exactly `n_edges` distinct edges (see `rmat_edge_list`)."""
    return rmat_edge_list(n_edges, edge_factor, **options).to_csr()


def erdos_renyi(n_edges: int, edge_factor: int = EDGE_FACTOR, **options: Any) -> Csr:
    """G(n, m) with m = `n_edges` (see `erdos_renyi_edge_list`)."""
    return erdos_renyi_edge_list(n_edges, edge_factor, **options).to_csr()


def barabasi_albert(n_edges: int, edge_factor: int = EDGE_FACTOR, **options: Any) -> Csr:
    """A Barabási–Albert graph (see `barabasi_albert_edge_list`)."""
    return barabasi_albert_edge_list(n_edges, edge_factor, **options).to_csr()


def rmat_scale_for(n_edges: int, edge_factor: int = EDGE_FACTOR) -> int:
    """R-MAT's scale for a size (what `GraphSpec.scale` uses), for planning without a spec."""
    return GraphSpec("rmat", n_edges, edge_factor).scale
