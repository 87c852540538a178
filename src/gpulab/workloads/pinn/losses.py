"""The loss terms (PDE residual, initial, boundary) and the two reweightings of them:
gradient-norm balancing between terms and causal weighting of the residual in time."""

from __future__ import annotations

import torch

from gpulab.workloads.pinn.problems import Condition, Problem, grad

TERMS = ("pde", "initial", "boundary")


def condition_loss(net: torch.nn.Module, cond: Condition) -> torch.Tensor:
    """Mean squared misfit of u (order 0) or du/dt (order 1) at the condition's points."""
    if cond.order == 0:
        return (net(cond.points) - cond.target).pow(2).mean()
    x = cond.points.clone().requires_grad_(True)
    u_t = grad(net(x), x)[:, 1:2]
    return (u_t - cond.target).pow(2).mean()


def residual_loss(
    net: torch.nn.Module, problem: Problem, points: torch.Tensor, causal: tuple[int, float] | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(the loss to train on, the plain mean squared residual to report).

    With `causal = (bins, eps)` the points are binned in time and bin i is weighted by
    exp(-eps * sum of the earlier bins' mean residuals), detached (Wang, Sankaran & Perdikaris
    2022): later times count once earlier ones are fitted.
    """
    r2 = problem.residual(net, points.detach().clone()).pow(2).squeeze(1)
    plain = r2.mean()
    if causal is None or problem.time_axis is None:
        return plain, plain
    bins, eps = causal
    t = points[:, problem.time_axis]
    lo, hi = problem.bounds[problem.time_axis]
    index = ((t - lo) / (hi - lo) * bins).long().clamp(0, bins - 1)
    sums = torch.zeros(bins, dtype=r2.dtype, device=r2.device).index_add(0, index, r2)
    counts = torch.bincount(index, minlength=bins).clamp(min=1).to(r2.dtype)
    per_bin = sums / counts
    earlier = torch.cumsum(per_bin.detach(), 0) - per_bin.detach()
    weights = torch.exp(-eps * earlier)
    return (weights * per_bin).mean(), plain


def term_losses(net, problem, points, conds, causal) -> tuple[dict, dict]:
    """(the terms to train on, the plain terms to report), keyed by TERMS present."""
    train, shown = {}, {}
    train["pde"], shown["pde"] = residual_loss(net, problem, points, causal)
    for cond in conds:
        value = condition_loss(net, cond)
        train[cond.term] = train.get(cond.term, 0.0) + value
        shown[cond.term] = shown.get(cond.term, 0.0) + value
    return train, shown


def balanced_weights(net: torch.nn.Module, terms: dict, old: dict, alpha: float = 0.9) -> dict:
    """Gradient-norm weights lambda_k = |grad L_pde| / |grad L_k|, smoothed by an EMA, so no
    term's gradient drowns the others (Wang, Teng & Perdikaris 2021)."""
    params = [p for p in net.parameters() if p.requires_grad]
    norms = {}
    for name, value in terms.items():
        grads = torch.autograd.grad(value, params, retain_graph=True, allow_unused=True)
        norms[name] = torch.sqrt(
            sum((g.pow(2).sum() for g in grads if g is not None), torch.zeros(()))
        )
    ref = norms["pde"]
    out = {}
    for name, norm in norms.items():
        new = float(ref / norm.clamp(min=1e-12)) if name != "pde" else 1.0
        new = min(max(new, 1e-3), 1e4)
        out[name] = alpha * old.get(name, 1.0) + (1 - alpha) * new
    return out
