"""An occupancy grid over the scene's box: cells whose density stays below a threshold are
skipped, so the field is evaluated only where something is. Updated during training from the
field's own density at random points in every cell (an exponential moving average, decayed)."""

from __future__ import annotations

import torch

THRESHOLD = 0.01  # opacity 1 - exp(-sigma * delta) of a cell below which it is skipped


class OccupancyGrid:
    """A res^3 grid of density estimates over [-bound, bound]^3 and its boolean mask."""

    def __init__(self, resolution: int, bound: float, device: torch.device | str) -> None:
        self.resolution, self.bound = resolution, bound
        self.density = torch.zeros((resolution,) * 3, device=device)  # every cell occupied at first
        self.mask = torch.ones((resolution,) * 3, dtype=torch.bool, device=device)

    def cell_of(self, points: torch.Tensor) -> torch.Tensor:
        scaled = (points + self.bound) / (2 * self.bound) * self.resolution
        return scaled.long().clamp(0, self.resolution - 1)

    def occupied(self, points: torch.Tensor) -> torch.Tensor:
        """Whether each point [..., 3] lies in an occupied cell (outside the box: never)."""
        inside = (points.abs() <= self.bound).all(-1)
        c = self.cell_of(points)
        return inside & self.mask[c[..., 0], c[..., 1], c[..., 2]]

    @torch.no_grad()
    def update(self, density_fn, step_size: float, decay: float = 0.95) -> None:
        """Re-estimate every cell at one jittered point, in place (no host sync: a training step
        calls it; `mask.float().mean()` is the occupied fraction)."""
        res = self.resolution
        idx = torch.stack(
            torch.meshgrid(*(torch.arange(res, device=self.density.device),) * 3, indexing="ij"),
            -1,
        ).reshape(-1, 3)
        jitter = torch.rand(idx.shape, device=idx.device)
        points = (idx + jitter) / res * (2 * self.bound) - self.bound
        sigma = torch.cat([density_fn(p) for p in points.split(1 << 18)]).reshape((res,) * 3)
        # in place: a captured training step reads the mask from where it was at capture
        torch.maximum(self.density * decay, sigma.float(), out=self.density)
        self.mask.copy_((1 - torch.exp(-self.density * step_size)) > THRESHOLD)
