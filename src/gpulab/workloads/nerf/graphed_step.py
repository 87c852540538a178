"""Ours' training step captured as a CUDA graph and replayed: the GPU, not the host, sets the pace.

A step of ours launches about two hundred small kernels (march, occupancy lookup, sort, hash
encoding, two tiny MLPs, compositing, their backward, Adam) that a large GPU finishes sooner than
Python issues them (`reports/device/h200/nerf-probe-cuda-graph.log` times both). A CUDA graph
records the step once and replays it with one launch. What a graph needs, ours provides: a fixed
shape (the static-capacity path evaluates a calibrated number of samples, `capacity`, so a step has
no data-dependent size and no host sync), inputs in fixed buffers (the step's rays are copied in),
the optimizer's state on the device (Adam with `capturable=True`) and an occupancy mask updated in
place between replays. The stratified jitter comes from the default CUDA generator, which advances
on every replay.

A new capacity (the occupied space shrinks while training) means a new graph: two real steps run
eagerly on a side stream first (the first fills one-time caches, such as a constant copied to
the GPU once; the second runs with CUDA's sync check set to fail, so a step that would stall the
host is found before capture, not during it), then the next step is captured. Where the
check or the capture fails, `error` says why and the steps stay eager.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gpulab.cuda_graphs import warm_up_stream

WARMUP_STEPS = 2  # eager steps at a new capacity before it is captured

Body = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, int], torch.Tensor]


class GraphedStep:
    """The step's input buffers and the graph captured for the current capacity."""

    def __init__(self, body: Body, rays: int, device: torch.device) -> None:
        self.body = body  # (origins, dirs, target, capacity) -> loss, without a host sync
        self.origins = torch.zeros(rays, 3, device=device)
        self.dirs = torch.zeros(rays, 3, device=device)
        self.target = torch.zeros(rays, 3, device=device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.capacity: int | None = None
        self.loss: torch.Tensor | None = None
        self.warm = 0
        self.captures = 0
        self.error: str | None = None

    @property
    def active(self) -> bool:
        return self.error is None

    def run(self, origins, dirs, target, capacity: int) -> torch.Tensor:  # noqa: ANN001
        """One training step on these rays at `capacity` samples: replayed, warmed or captured."""
        if origins.shape[0] != self.origins.shape[0]:
            return self.body(origins, dirs, target, capacity)
        self.origins.copy_(origins)
        self.dirs.copy_(dirs)
        self.target.copy_(target)
        if capacity != self.capacity:
            self.graph, self.loss, self.capacity, self.warm = None, None, capacity, 0
        if self.graph is not None:
            self.graph.replay()
            return self.loss.clone()
        if self.warm < WARMUP_STEPS:
            self.warm += 1  # the first fills lazy caches (a one-time copy may sync); then checked
            return self._warm_step(check=self.warm == WARMUP_STEPS)
        return self._capture()

    def _inputs(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        return self.origins, self.dirs, self.target, self.capacity

    def _warm_step(self, check: bool) -> torch.Tensor:
        """An eager step on a side stream (as capture needs); with `check`, a host sync in it
        keeps the steps eager from here on, with the reason in `error`."""
        try:
            with warm_up_stream(check_syncs=check):
                return self.body(*self._inputs())
        except RuntimeError as err:
            self.error = f"the step synchronises with the host, so it is not captured: {err}"
            return self.body(*self._inputs())

    def _capture(self) -> torch.Tensor:
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self.loss = self.body(*self._inputs())
        except RuntimeError as err:  # CUDA's generator stays in capture mode: no eager retry
            self.error = f"capture failed: {str(err).splitlines()[0]}"
            raise RuntimeError(
                f"capturing ours' training step as a CUDA graph failed ({self.error}); restart "
                "the kernel and run with the CUDA-graph control off (cuda_graph=False)"
            ) from err
        self.graph = graph
        self.captures += 1
        graph.replay()  # capturing records the step without running it
        return self.loss.clone()
