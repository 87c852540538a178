"""One training step and a full-view render for each model, on the same rays.

Ours marches `samples` stratified points through the box, evaluates the field only where the
occupancy grid says something is, and at render time stops a ray once its transmittance falls
below 1e-4 (early termination, chunk by chunk along the ray). Vanilla samples 64 stratified
points with a coarse network and 128 more from its weights with a fine one (hierarchical).
"""

from __future__ import annotations

import torch

from .config import NerfConfig
from .hashgrid import HashGrid
from .models import HashField, VanillaField
from .occupancy import OccupancyGrid
from .render import composite, deltas, ray_box, sample_pdf, stratified

EARLY_STOP_T = 1e-4
CAPACITY_MARGIN = 1.25  # static_samples: room over the calibrating step's kept samples
_CAPACITY_QUANTUM = 1 << 12
_RENDER_CHUNK = 1 << 14
_MARCH_CHUNKS = 4


def _autocast(device: torch.device):  # noqa: ANN202 - bf16 matmuls on a GPU, fp32 on the CPU
    return torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")


class Ours:
    """Hash-grid field + occupancy grid, Adam (lr 1e-2, eps 1e-15)."""

    name = "ours"

    def __init__(self, config: NerfConfig, bound: float, background, device) -> None:  # noqa: ANN001
        self.device, self.bound, self.samples = torch.device(device), bound, config.samples
        grid = HashGrid.for_config(config)
        self.field = HashField(grid, bound).to(self.device)
        grid.warm_up()  # Triton's one-time compile happens here, outside the training clock
        # fused on a GPU: one kernel for all parameters, its step counters on the device
        self.optim = torch.optim.Adam(
            self.field.parameters(),
            lr=config.lr,
            betas=(0.9, 0.99),
            eps=1e-15,
            fused=self.device.type == "cuda",
        )
        self.grid = OccupancyGrid(config.occupancy_resolution, bound, self.device)
        self.background = torch.tensor(background, device=self.device)
        self.step_size = 2 * 3**0.5 * bound / config.samples
        self.batch_rays, self.steps, self.evaluated = config.batch_rays, 0, [0, 0]
        # static_samples: a fixed number of samples evaluated a step (no host sync), recalibrated
        # by an exact step after every occupancy update; steps that had more kept samples than
        # room (the excess dropped) are counted in `overflow_steps`
        self.static_samples, self.capacity = config.static_samples, None
        self._overflow = torch.zeros((), dtype=torch.long, device=self.device)
        self.overflow_steps = 0

    def _fields(self, points, dirs, keep, capacity: int | None = None):  # noqa: ANN001, ANN202
        """Density and colour [R, S] / [R, S, 3] of samples `points` [R, S, 3] on rays of
        directions `dirs` [R, 3], evaluated only where `keep`; zero elsewhere.

        Exact (capacity None): one host sync (how many samples are kept), the flat indices
        serving the gathers and the (differentiable) scatter back. With a capacity: the kept
        samples sorted first (a stable sort, no sync), the first `capacity` evaluated and the
        padding among them zeroed; kept samples past the capacity are dropped (counted)."""
        shape, samples, flat = keep.shape, keep.shape[1], keep.reshape(-1)
        if capacity is None:
            idx, valid = flat.nonzero().squeeze(1), None
        else:
            idx = torch.argsort((~flat).to(torch.uint8), stable=True)[:capacity]
            valid = flat[idx]
            self._overflow += flat.sum() > capacity
        sigma = torch.zeros(keep.numel(), device=self.device)
        rgb = torch.zeros(keep.numel(), 3, device=self.device)
        if idx.numel() == 0:
            return sigma.reshape(shape), rgb.reshape(*shape, 3)
        with _autocast(self.device):
            s, c = self.field(points.reshape(-1, 3)[idx], dirs[idx // samples])
        s, c = s.float(), c.float()
        if valid is not None:
            s, c = s * valid, c * valid[:, None]
        sigma = sigma.index_put((idx,), s)
        rgb = rgb.index_put((idx,), c)
        return sigma.reshape(shape), rgb.reshape(*shape, 3)

    def _march(self, origins, dirs, jitter: bool):  # noqa: ANN001, ANN202
        near, far = ray_box(origins, dirs, self.bound)
        t = stratified(near, far, self.samples, jitter)
        points = origins[:, None] + t[..., None] * dirs[:, None]
        keep = self.grid.occupied(points) & (far > near)[:, None]
        return t, far, points, keep

    def step(self, origins, dirs, target) -> float:  # noqa: ANN001
        t, far, points, keep = self._march(origins, dirs, jitter=True)
        if self.static_samples and self.capacity is None:  # calibrate: one exact step
            kept = int(keep.sum())
            quanta = max(1, -(-int(kept * CAPACITY_MARGIN) // _CAPACITY_QUANTUM))
            self.capacity = quanta * _CAPACITY_QUANTUM
            sigma, rgb = self._fields(points, dirs, keep)
        else:
            sigma, rgb = self._fields(points, dirs, keep, self.capacity)
        colour, _, _ = composite(sigma, rgb, t, deltas(t, far), self.background)
        loss = torch.nn.functional.mse_loss(colour, target)
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        self.optim.step()
        self.steps += 1
        if self.steps % 16 == 0:
            self.grid.update(self._density, self.step_size)
            if self.static_samples:  # one sync every 16 steps: count overflows, recalibrate
                self.overflow_steps += int(self._overflow)
                self._overflow.zero_()
                self.capacity = None
        return loss.detach()

    def _density(self, points: torch.Tensor) -> torch.Tensor:
        with _autocast(self.device):
            return self.field.density(points)

    @torch.no_grad()
    def render(self, origins, dirs):  # noqa: ANN001, ANN201
        """Colour and depth of rays [N, 3], chunked, with early termination."""
        out = [
            self._render_chunk(o, d)
            for o, d in zip(origins.split(_RENDER_CHUNK), dirs.split(_RENDER_CHUNK), strict=True)
        ]
        return torch.cat([c for c, _ in out]), torch.cat([d for _, d in out])

    def _render_chunk(self, origins, dirs):  # noqa: ANN001, ANN202
        t, far, points, keep = self._march(origins, dirs, jitter=False)
        delta = deltas(t, far)
        alive = torch.ones(origins.shape[0], device=self.device)  # transmittance so far
        colour = torch.zeros(origins.shape[0], 3, device=self.device)
        depth = torch.zeros(origins.shape[0], device=self.device)
        for part in torch.arange(self.samples, device=self.device).chunk(_MARCH_CHUNKS):
            live = keep[:, part] & (alive > EARLY_STOP_T)[:, None]
            self.evaluated[0] += int(live.sum())
            self.evaluated[1] += live.numel()
            sigma, rgb = self._fields(points[:, part], dirs, live)
            c, _, w = composite(
                sigma, rgb, t[:, part], delta[:, part], torch.zeros(3, device=self.device)
            )
            colour += alive[:, None] * c
            depth += alive * (w * t[:, part]).sum(-1)
            alive = alive * torch.exp(-(sigma * delta[:, part]).sum(-1))
        opacity = 1 - alive
        return colour + alive[:, None] * self.background, depth / opacity.clamp(min=1e-6)

    def occupied_fraction(self) -> float:
        return float(self.grid.mask.float().mean())


class Vanilla:
    """Coarse + fine 8 x 256 NeRF MLPs, Adam (lr 5e-4)."""

    name = "vanilla"

    def __init__(self, config: NerfConfig, bound: float, background, device) -> None:  # noqa: ANN001
        self.device, self.bound = torch.device(device), bound
        self.coarse_n, self.fine_n = config.coarse_samples, config.fine_samples
        w, d = config.vanilla_width, config.vanilla_depth
        self.coarse = VanillaField(w, d, bound).to(self.device)
        self.fine = VanillaField(w, d, bound).to(self.device)
        params = [*self.coarse.parameters(), *self.fine.parameters()]
        self.optim = torch.optim.Adam(params, lr=config.vanilla_lr)
        self.background = torch.tensor(background, device=self.device)
        self.batch_rays, self.steps = config.vanilla_batch_rays, 0

    def _pass(self, net, origins, dirs, t, far):  # noqa: ANN001, ANN202
        points = origins[:, None] + t[..., None] * dirs[:, None]
        with _autocast(self.device):
            sigma, rgb = net(points.reshape(-1, 3), dirs[:, None].expand_as(points).reshape(-1, 3))
        sigma, rgb = sigma.reshape(t.shape), rgb.reshape(*t.shape, 3)
        return composite(sigma, rgb, t, deltas(t, far), self.background)

    def _both(self, origins, dirs, jitter: bool):  # noqa: ANN001, ANN202
        near, far = ray_box(origins, dirs, self.bound)
        t = stratified(near, far, self.coarse_n, jitter)
        coarse = self._pass(self.coarse, origins, dirs, t, far)
        edges = near[:, None] + (far - near)[:, None] * torch.linspace(
            0, 1, self.coarse_n + 1, device=self.device
        )
        extra = sample_pdf(edges, coarse[2].detach(), self.fine_n, jitter)
        t_fine = torch.sort(torch.cat([t, extra], -1), -1).values
        return coarse, self._pass(self.fine, origins, dirs, t_fine, far)

    def step(self, origins, dirs, target) -> float:  # noqa: ANN001
        coarse, fine = self._both(origins, dirs, jitter=True)
        mse = torch.nn.functional.mse_loss
        loss = mse(coarse[0], target) + mse(fine[0], target)
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        self.optim.step()
        self.steps += 1
        return loss.detach()

    @torch.no_grad()
    def render(self, origins, dirs):  # noqa: ANN001, ANN201
        out = [
            self._both(o, d, jitter=False)[1]
            for o, d in zip(origins.split(_RENDER_CHUNK), dirs.split(_RENDER_CHUNK), strict=True)
        ]
        return torch.cat([c for c, _, _ in out]), torch.cat([d for _, d, _ in out])
