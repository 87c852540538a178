"""Ours' training step: the sync-free path (a fixed, calibrated number of samples a step) trains
exactly as the exact path while the capacity holds, and counts the steps where it did not; how
the capacity is chosen (a captured graph is reused while it fits); the learning-rate decay."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads.nerf import NerfConfig
from gpulab.workloads.nerf.methods import Ours, capacity_for


def _rays(count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    origins = torch.randn(count, 3, generator=gen)
    origins = origins / origins.norm(dim=-1, keepdim=True) * 3
    dirs = -origins / 3 + 0.8 * torch.randn(count, 3, generator=gen)  # some miss the box
    dirs = dirs / dirs.norm(dim=-1, keepdim=True)
    return origins, dirs, torch.rand(count, 3, generator=gen)


def _train(static: bool, steps: int, capacity: int | None = None) -> tuple[Ours, list[float]]:
    config = replace(NerfConfig.for_profile("smoke"), static_samples=static, encoding="index_add")
    torch.manual_seed(0)
    method = Ours(config, 1.0, (1.0, 1.0, 1.0), "cpu")
    res = method.grid.resolution
    cells = torch.stack(torch.meshgrid(*(torch.arange(res),) * 3, indexing="ij")).sum(0)
    method.grid.mask = cells // 4 % 2 == 0  # blocks of empty space, until the first update
    origins, dirs, target = _rays(128)
    torch.manual_seed(5)  # the same stratified jitter for both paths
    losses = []
    for _ in range(steps):
        losses.append(float(method.step(origins, dirs, target)))
        if capacity is not None:
            method.capacity = capacity
    return method, losses


def test_static_samples_train_as_the_exact_step() -> None:
    exact, exact_losses = _train(False, 15)  # before the first occupancy update
    static, static_losses = _train(True, 15)
    assert static.capacity is not None and static.overflow_steps == 0
    _, _, _, keep = static._march(*_rays(128)[:2], jitter=False)
    # padding evaluated (and zeroed): empty cells on rays through the box
    assert 0 < int(keep.sum()) < static.capacity <= keep.numel()
    torch.testing.assert_close(static_losses, exact_losses, rtol=1e-5, atol=1e-7)
    # the MLP's weight gradients sum over more rows (zeros for the padding): fp32 rounding,
    # which Adam's eps of 1e-15 turns into up to ~1e-4 on a few near-zero-gradient entries
    for a, b in zip(static.field.parameters(), exact.field.parameters(), strict=True):
        diff = (a - b).detach().abs()
        assert float(diff.max()) < 1e-3 and float(diff.mean()) < 1e-6


def test_after_an_update_it_recalibrates_and_matches() -> None:
    _, exact_losses = _train(False, 20)  # the update at step 16, an exact step 17
    static, static_losses = _train(True, 20)
    assert static.overflow_steps == 0 and static.capacity is not None
    torch.testing.assert_close(static_losses, exact_losses, rtol=1e-5, atol=1e-7)


def test_too_little_room_is_counted_and_changes_the_step() -> None:
    _, exact_losses = _train(False, 17)
    static, losses = _train(True, 17, capacity=64)  # far fewer than the kept samples
    assert static.overflow_steps == 15  # steps 2-16 ran short; step 1 calibrated exactly
    assert losses[0] == exact_losses[0] and losses[5] != exact_losses[5]


def test_a_capacity_is_kept_while_it_fits_and_rechosen_when_it_does_not() -> None:
    first = capacity_for(300_000, None, 2_000_000)
    assert 300_000 * 1.25 <= first <= 300_000 * 1.25 * 1.13  # rounded up by at most ~1/8
    assert capacity_for(280_000, first, 2_000_000) == first  # a captured graph is reused
    assert capacity_for(first, first, 2_000_000) > first  # no room left: grows
    assert capacity_for(first // 3, first, 2_000_000) < first  # mostly padding: shrinks
    assert capacity_for(10, None, 2_000_000) == 4096  # at least one quantum
    assert capacity_for(3_000, None, 2_048) == 2_048  # never more samples than the step has


def test_the_learning_rate_decays_to_its_final_ratio() -> None:
    config = replace(
        NerfConfig.for_profile("smoke"), encoding="index_add", lr_decay_steps=32, lr_final_ratio=0.1
    )
    method = Ours(config, 1.0, (1.0, 1.0, 1.0), "cpu")
    origins, dirs, target = _rays(64)
    seen = []
    for _ in range(48):
        method.step(origins, dirs, target)
        seen.append(method.optim.param_groups[0]["lr"])
    assert seen[0] == config.lr  # the schedule moves every 16 steps, with the grid
    assert abs(seen[20] - config.lr * 0.1**0.5) < 1e-9  # halfway in log space at step 16
    assert abs(seen[-1] - config.lr * 0.1) < 1e-9  # at and after step 32: the final ratio


def test_a_bad_schedule_is_refused() -> None:
    for bad in ({"lr_decay_steps": -1}, {"lr_final_ratio": 0.0}, {"lr_final_ratio": 2.0}):
        with pytest.raises(UsageError, match="lr_decay_steps"):
            replace(NerfConfig(), **bad).validate()


def test_vanilla_renders_in_chunks_of_its_batch_as_it_would_in_one_pass() -> None:
    """Held-out rendering goes one training batch at a time (its memory stays within what the
    batch check allowed); the chunks change nothing in the image or the depth."""
    from gpulab.workloads.nerf.methods import Vanilla

    config = NerfConfig.for_profile("smoke")
    torch.manual_seed(0)
    vanilla = Vanilla(config, 1.0, (1.0, 1.0, 1.0), "cpu")
    origins, dirs, _ = _rays(3 * config.vanilla_batch_rays + 5)
    passes: list[int] = []
    both = vanilla._both
    vanilla._both = lambda o, d, jitter: (passes.append(o.shape[0]), both(o, d, jitter))[1]
    colour, depth = vanilla.render(origins, dirs)
    assert passes == [config.vanilla_batch_rays] * 3 + [5]
    vanilla.batch_rays = origins.shape[0]  # one pass over every ray
    whole_colour, whole_depth = vanilla.render(origins, dirs)
    assert colour.shape == (origins.shape[0], 3) and depth.shape == (origins.shape[0],)
    torch.testing.assert_close(colour, whole_colour, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(depth, whole_depth, rtol=1e-5, atol=1e-5)
