"""One training step and a full-view render for each model, on the same rays.

Ours marches `samples` stratified points through the box, evaluates the field only where the
occupancy grid says something is, and at render time stops a ray once its transmittance falls
below 1e-4 (early termination, chunk by chunk along the ray). Vanilla samples 64 stratified
points with a coarse network and 128 more from its weights with a fine one (hierarchical).
"""

from __future__ import annotations

import torch

from .config import NerfConfig
from .graphed_step import GraphedStep
from .hashgrid import HashGrid
from .models import HashField, VanillaField
from .occupancy import OccupancyGrid
from .render import composite, deltas, ray_box, sample_pdf, stratified

EARLY_STOP_T = 1e-4
CAPACITY_MARGIN = 1.25  # static_samples: room over the calibrating step's kept samples
SHRINK_BELOW = 0.6  # a capacity is kept until the kept samples fill less than this of it
_CAPACITY_QUANTUM = 1 << 12
_RENDER_CHUNK = 1 << 14  # ours' rays per rendering pass (it evaluates only occupied samples)
_MARCH_CHUNKS = 4


def _autocast(device: torch.device):  # noqa: ANN202 - bf16 matmuls on a GPU, fp32 on the CPU
    # no cast cache: a captured step must cast the weights Adam just changed
    return torch.autocast(
        "cuda", dtype=torch.bfloat16, enabled=device.type == "cuda", cache_enabled=False
    )


def capacity_for(kept: int, current: int | None, total: int) -> int:
    """Samples to evaluate a step: `current` while `kept` fits in it and fills at least
    SHRINK_BELOW of it (a captured graph is reused), else kept x CAPACITY_MARGIN rounded up to
    a step of about 1/8 of its size (at least 4096), never more than `total`."""
    if current is not None and SHRINK_BELOW * current <= kept <= current / 1.1:
        return current
    room = max(1, int(kept * CAPACITY_MARGIN))
    quantum = max(_CAPACITY_QUANTUM, 1 << max(0, room.bit_length() - 4))
    return min(total, -(-room // quantum) * quantum)


class Ours:
    """Hash-grid field + occupancy grid, Adam (lr 1e-2, eps 1e-15)."""

    name = "ours"

    def __init__(self, config: NerfConfig, bound: float, background, device) -> None:  # noqa: ANN001
        self.device, self.bound, self.samples = torch.device(device), bound, config.samples
        grid = HashGrid.for_config(config)
        self.field = HashField(grid, bound).to(self.device)
        grid.warm_up()  # Triton's one-time compile happens here, outside the training clock
        on_gpu = self.device.type == "cuda"
        # a captured step on a GPU: it needs the fixed-capacity path and Adam's state on the device
        self.graphed = (
            GraphedStep(self._static_step, config.batch_rays, self.device)
            if config.cuda_graph and on_gpu
            else None
        )
        # fused on a GPU: one kernel for all parameters, its step counters on the device; the
        # learning rate a device tensor where a graph reads it (the schedule fills it in place)
        self.lr, self.lr_decay_steps = config.lr, config.lr_decay_steps
        self.lr_final = config.lr_final_ratio
        self.optim = torch.optim.Adam(
            self.field.parameters(),
            lr=torch.tensor(config.lr, device=self.device) if self.graphed else config.lr,
            betas=(0.9, 0.99),
            eps=1e-15,
            fused=on_gpu,
            capturable=self.graphed is not None,
        )
        self.grid = OccupancyGrid(config.occupancy_resolution, bound, self.device)
        self.background = torch.tensor(background, device=self.device)
        self.step_size = 2 * 3**0.5 * bound / config.samples
        self.batch_rays, self.steps, self.evaluated = config.batch_rays, 0, [0, 0]
        # static_samples (always where a graph is captured): a fixed number of samples evaluated
        # a step, no host sync in it; the capacity is re-chosen from the kept samples of one step
        # after every occupancy update, kept while it fits (`capacity_for`); steps that had more
        # kept samples than room (the excess dropped) are counted in `overflow_steps`
        self.static_samples = config.static_samples or self.graphed is not None
        self.capacity: int | None = None
        self.capacity_before: int | None = None
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

    def _static_step(self, origins, dirs, target, capacity: int) -> torch.Tensor:  # noqa: ANN001
        """Forward, backward and Adam at a fixed `capacity` of evaluated samples: no host sync
        (the body a CUDA graph records)."""
        t, far, points, keep = self._march(origins, dirs, jitter=True)
        sigma, rgb = self._fields(points, dirs, keep, capacity)
        return self._descend(sigma, rgb, t, far, target)

    def _descend(self, sigma, rgb, t, far, target) -> torch.Tensor:  # noqa: ANN001
        colour, _, _ = composite(sigma, rgb, t, deltas(t, far), self.background)
        loss = torch.nn.functional.mse_loss(colour, target)
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        self.optim.step()
        return loss.detach()

    def step(self, origins, dirs, target) -> torch.Tensor:  # noqa: ANN001
        """One training step on these rays; every 16th also updates the occupancy grid."""
        if not self.static_samples:
            t, far, points, keep = self._march(origins, dirs, jitter=True)
            loss = self._descend(*self._fields(points, dirs, keep), t, far, target)
        else:
            if self.capacity is None:  # after an update: how many samples does a step keep?
                _, _, _, keep = self._march(origins, dirs, jitter=False)
                self.capacity = capacity_for(int(keep.sum()), self.capacity_before, keep.numel())
            if self.graphed is not None and self.graphed.active:
                loss = self.graphed.run(origins, dirs, target, self.capacity)
            else:
                loss = self._static_step(origins, dirs, target, self.capacity)
        self.steps += 1
        if self.steps % 16 == 0:
            self.grid.update(self._density, self.step_size)
            self._schedule()
            if self.static_samples:  # one sync every 16 steps: count overflows, recalibrate
                self.overflow_steps += int(self._overflow)
                self._overflow.zero_()
                self.capacity_before, self.capacity = self.capacity, None
        return loss

    def _schedule(self) -> None:
        """Exponential learning-rate decay to `lr_final` x lr at `lr_decay_steps` (0: none)."""
        if self.lr_decay_steps <= 0:
            return
        value = self.lr * self.lr_final ** min(1.0, self.steps / self.lr_decay_steps)
        for group in self.optim.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value

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
        """Fine colour and depth in chunks of one training batch: every sample goes through both
        8 x 256 MLPs, so a larger chunk would add its activations to the training step's cached
        memory (on top of the size the batch check allowed)."""
        chunk = self.batch_rays
        out = [
            self._both(o, d, jitter=False)[1]
            for o, d in zip(origins.split(chunk), dirs.split(chunk), strict=True)
        ]
        return torch.cat([c for c, _, _ in out]), torch.cat([d for _, d, _ in out])
