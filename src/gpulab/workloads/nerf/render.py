"""Volume rendering shared by both models: ray-box bounds, stratified samples, and the
quadrature C = sum_i T_i (1 - exp(-sigma_i delta_i)) c_i with T_i = prod_{j<i} exp(-sigma_j
delta_j), the background filling what the ray leaves transparent."""

from __future__ import annotations

import torch


def ray_box(
    origins: torch.Tensor, dirs: torch.Tensor, bound: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Entry and exit distances of rays through [-bound, bound]^3 (near = far: a miss)."""
    safe = torch.where(dirs.abs() < 1e-9, torch.full_like(dirs, 1e-9), dirs)
    t0, t1 = (-bound - origins) / safe, (bound - origins) / safe
    near = torch.minimum(t0, t1).amax(-1).clamp(min=0)
    far = torch.maximum(t0, t1).amin(-1)
    return near, torch.maximum(far, near)


def stratified(near: torch.Tensor, far: torch.Tensor, count: int, jitter: bool) -> torch.Tensor:
    """`count` depths per ray between near and far, one per equal bin ([R, count])."""
    bins = torch.linspace(0, 1, count + 1, device=near.device)[:-1]
    u = (
        torch.rand(near.shape[0], count, device=near.device)
        if jitter
        else torch.full((near.shape[0], count), 0.5, device=near.device)
    )
    fraction = bins + u / count
    return near[:, None] + (far - near)[:, None] * fraction


def deltas(t: torch.Tensor, far: torch.Tensor) -> torch.Tensor:
    """Segment lengths: to the next sample, the last to the exit."""
    return torch.cat([t[:, 1:] - t[:, :-1], (far[:, None] - t[:, -1:]).clamp(min=0)], dim=-1)


def transmittance(sigma: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """T_i = exp(-sum_{j<i} sigma_j delta_j), [R, S] (an exclusive cumulative sum)."""
    optical = sigma * delta
    return torch.exp(
        -torch.cumsum(torch.cat([torch.zeros_like(optical[:, :1]), optical[:, :-1]], -1), -1)
    )


def composite(
    sigma: torch.Tensor,
    rgb: torch.Tensor,
    t: torch.Tensor,
    delta: torch.Tensor,
    background: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Colour [R, 3], expected depth [R] and weights [R, S] of samples along each ray."""
    alpha = 1 - torch.exp(-sigma * delta)
    weights = alpha * transmittance(sigma, delta)
    opacity = weights.sum(-1, keepdim=True)
    colour = (weights[..., None] * rgb).sum(-2) + (1 - opacity) * background
    depth = (weights * t).sum(-1) / opacity.squeeze(-1).clamp(min=1e-6)
    return colour, depth, weights


def sample_pdf(bins: torch.Tensor, weights: torch.Tensor, count: int, jitter: bool) -> torch.Tensor:
    """Inverse-transform samples [R, count] from the piecewise-constant pdf of `weights` over
    `bins` (edges, [R, S + 1]): NeRF's hierarchical sampling."""
    pdf = (weights + 1e-5) / (weights + 1e-5).sum(-1, keepdim=True)
    cdf = torch.cat([torch.zeros_like(pdf[:, :1]), torch.cumsum(pdf, -1)], -1)
    if jitter:
        u = torch.rand(cdf.shape[0], count, device=cdf.device)
    else:
        u = torch.linspace(0, 1, count, device=cdf.device).expand(cdf.shape[0], count)
    idx = torch.searchsorted(cdf, u.contiguous(), right=True).clamp(1, cdf.shape[-1] - 1)
    lo, hi = cdf.gather(-1, idx - 1), cdf.gather(-1, idx)
    b_lo, b_hi = bins.gather(-1, idx - 1), bins.gather(-1, idx)
    span = torch.where(hi - lo < 1e-5, torch.ones_like(hi), hi - lo)
    return b_lo + (u - lo) / span * (b_hi - b_lo)
