"""PageRank by power iteration on the device CSR, with networkx's exact semantics.

The key idea: a random surfer follows an out-link with probability alpha, else jumps to a node
chosen uniformly; a surfer on a node without out-links (a dangling node) jumps uniformly too.
The ranks are the fixed point of

    x  <-  alpha * (A^T D^-1 x  +  (sum of x over dangling nodes) / N)  +  (1 - alpha) / N

where A is the (weighted) adjacency matrix and D the diagonal of out-weights. A^T D^-1 x is one
sparse matrix-vector product: each node pulls x[u] / out_weight[u] from every in-neighbour u.
Iteration stops, as in networkx, when the L1 change sum |x - x_prev| drops below N * tol, and
raises networkx's PowerIterationFailedConvergence after max_iter iterations without it. The
ranks sum to 1, so the L1 change is at most 2: from N = 2 / tol nodes on (2 million at the
default tol) networkx's rule stops after the first iteration. Pass tol = 1e-6 / N for an answer
converged to an L1 change below 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import PAGERANK_ALPHA, PAGERANK_MAX_ITER, PAGERANK_TOL
from ..csr import Csr


@dataclass
class PageRank:
    """The ranks (index order), how many iterations it took, and the last L1 change."""

    scores: torch.Tensor
    iterations: int
    l1_change: float


def pagerank(
    graph: Csr,
    alpha: float = PAGERANK_ALPHA,
    tol: float = PAGERANK_TOL,
    max_iter: int = PAGERANK_MAX_ITER,
    dtype: torch.dtype = torch.float64,
) -> PageRank:
    """PageRank of every node; an undirected graph counts each edge in both directions."""
    n = graph.n_nodes
    pull = graph.transpose().adjacency(dtype)  # row v: the weights of v's in-edges
    out_weight = _out_weights(graph, dtype)
    dangling = (out_weight == 0).to(dtype)
    inv_out = torch.where(out_weight > 0, 1 / out_weight, torch.zeros_like(out_weight))
    x = torch.full((n,), 1 / n, dtype=dtype, device=graph.device)
    for iteration in range(1, max_iter + 1):
        x_prev = x
        x = alpha * (pull @ (x_prev * inv_out) + torch.dot(x_prev, dangling) / n) + (1 - alpha) / n
        change = float((x - x_prev).abs().sum())
        if change < n * tol:
            return PageRank(x, iteration, change)
    raise _not_converged(max_iter)


def _out_weights(graph: Csr, dtype: torch.dtype) -> torch.Tensor:
    """Sum of each node's out-edge weights (its out-degree when unweighted)."""
    if graph.weights is None:
        return graph.degrees().to(dtype)
    totals = torch.zeros(graph.n_nodes, dtype=dtype, device=graph.device)
    return totals.index_add_(0, graph.rows(), graph.weights.to(dtype))


def _not_converged(max_iter: int) -> Exception:
    """networkx's own exception where networkx is installed, so callers catch one type."""
    try:
        from networkx import PowerIterationFailedConvergence
    except ImportError:
        return RuntimeError(f"power iteration failed to converge within {max_iter} iterations")
    return PowerIterationFailedConvergence(max_iter)
