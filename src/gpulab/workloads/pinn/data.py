"""Training points: Latin-hypercube collocation and the initial/boundary data of each PDE.

Burgers follows Raissi et al.: N_u points drawn from the initial line (256 x values) and the two
walls (100 t values) of the reference grid. Everything is drawn from one torch Generator.
"""

from __future__ import annotations

import numpy as np
import torch

from gpulab.workloads.pinn.problems import Condition, Problem


def latin_hypercube(n: int, problem: Problem, gen: torch.Generator, **kw) -> torch.Tensor:
    """n points, one per stratum along each axis, in the problem's box."""
    cols = []
    for lo, hi in problem.bounds:
        strata = (torch.randperm(n, generator=gen) + torch.rand(n, generator=gen)) / n
        cols.append(lo + (hi - lo) * strata)
    return torch.stack(cols, dim=1).to(**kw)


def uniform(n: int, problem: Problem, gen: torch.Generator, **kw) -> torch.Tensor:
    """n uniform points in the box (candidates for adaptive resampling)."""
    lo = torch.tensor([b[0] for b in problem.bounds], dtype=torch.float64)
    hi = torch.tensor([b[1] for b in problem.bounds], dtype=torch.float64)
    return (lo + (hi - lo) * torch.rand(n, 2, generator=gen, dtype=torch.float64)).to(**kw)


def conditions(problem: Problem, n_u: int, gen: torch.Generator, **kw) -> list[Condition]:
    """The initial and boundary data, about n_u points in all."""
    if problem.name == "burgers":
        return _burgers_conditions(problem, n_u, gen, **kw)
    (a0, a1), (b0, b1) = problem.bounds
    n_edge = max(1, n_u // 4)
    s = torch.rand(n_edge, generator=gen, dtype=torch.float64)
    walls = []
    for side in (a0, a1):
        walls.append(torch.stack([torch.full_like(s, side), b0 + (b1 - b0) * s], 1))
    if problem.time_axis is None:  # Poisson: all four sides are boundary
        for side in (b0, b1):
            walls.append(torch.stack([a0 + (a1 - a0) * s, torch.full_like(s, side)], 1))
        edge = torch.cat(walls)
        return [_condition("boundary", edge, problem, **kw)]
    n_init = max(1, n_u - 2 * n_edge)
    xi = a0 + (a1 - a0) * torch.rand(n_init, generator=gen, dtype=torch.float64)
    init = torch.stack([xi, torch.full_like(xi, b0)], 1)
    out = [
        _condition("initial", init, problem, **kw),
        _condition("boundary", torch.cat(walls), problem, **kw),
    ]
    if problem.name == "wave":  # u_t(x, 0) = 0
        out.append(Condition("initial", init.to(**kw), torch.zeros(n_init, 1, **kw), order=1))
    return out


def _condition(term: str, pts: torch.Tensor, problem: Problem, **kw) -> Condition:
    target = problem.exact(pts[:, 0].numpy(), pts[:, 1].numpy())
    return Condition(
        term, pts.to(**kw), torch.as_tensor(np.asarray(target)).reshape(-1, 1).to(**kw)
    )


def _burgers_conditions(problem: Problem, n_u: int, gen: torch.Generator, **kw) -> list[Condition]:
    xs, ts = problem.grid()
    xs, ts = torch.as_tensor(xs), torch.as_tensor(ts)
    init = torch.stack([xs, torch.zeros_like(xs)], 1)
    walls = torch.cat([torch.stack([torch.full_like(ts, side), ts], 1) for side in (-1.0, 1.0)])
    pool = torch.cat([init, walls])
    pick = torch.randperm(len(pool), generator=gen)[: min(n_u, len(pool))]
    is_init = pick < len(init)
    out = []
    for term, mask in (("initial", is_init), ("boundary", ~is_init)):
        if mask.any():
            out.append(_condition(term, pool[pick[mask]], problem, **kw))
    return out
