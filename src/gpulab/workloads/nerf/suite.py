"""One comparison run: the scene, ours and vanilla trained on the same training rays, both
judged on the same held-out views, then an orbit of novel views rendered by ours."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from gpulab.repro import seed_everything

from . import data as scenes
from .cameras import orbit_poses, pixel_rays
from .config import NerfConfig
from .methods import Ours, Vanilla
from .sizing import check_fits
from .training import Budget, Curve, psnr, train

Progress = Callable[[float, float, str], None]


@dataclass
class NerfResult:
    """What a run measured, for the notebook, the benchmark and the tests."""

    config: NerfConfig
    device: str
    scene: str
    curves: dict[str, Curve]
    test_psnr: dict[str, float]
    baseline_psnr: float
    views: dict[str, Any] = field(default_factory=dict)  # numpy images of held-out view 0
    orbit: list[Any] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def resolve_device(config: NerfConfig) -> str:
    if config.device:
        return config.device
    return "cuda" if torch.cuda.is_available() else "cpu"


def planned_work(config: NerfConfig) -> float:
    """Progress units: training seconds of both models (+1 for the scene, +1 for the views)."""
    return config.ours_seconds + config.vanilla_seconds + 2


def _probe(data: scenes.Dataset, count: int, generator: torch.Generator):  # noqa: ANN202
    """A fixed random subset of held-out pixels, for the curve."""
    origins, dirs = zip(*(data.test.rays(i) for i in range(len(data.test.images))), strict=False)
    origins, dirs = torch.cat(origins), torch.cat(dirs)
    colours = data.test.images.reshape(-1, 3)
    pick = torch.randperm(origins.shape[0], generator=generator)[:count].to(origins.device)
    return origins[pick], dirs[pick], colours[pick]


def held_out(method: Any, data: scenes.Dataset) -> tuple[float, list[torch.Tensor]]:
    """Mean per-view PSNR over every held-out view, and view 0's colour and depth."""
    scores, first = [], []
    for i in range(len(data.test.images)):
        colour, depth = method.render(*data.test.rays(i))
        image = colour.clamp(0, 1).reshape(data.test.images[i].shape)
        scores.append(psnr(float(torch.mean((image - data.test.images[i]) ** 2))))
        if i == 0:
            first = [image, depth.reshape(image.shape[:2])]
    return sum(scores) / len(scores), first


def _orbit(method: Ours, data: scenes.Dataset, config: NerfConfig) -> list[Any]:
    size = config.orbit_size
    focal = data.test.focal * size / data.test.width
    radius = float(data.test.poses[0, :3, 3].norm())
    frames = []
    for pose in orbit_poses(config.orbit_frames, radius):
        o, d = pixel_rays(pose, size, size, focal)
        colour, _ = method.render(
            o.reshape(-1, 3).to(method.device), d.reshape(-1, 3).to(method.device)
        )
        frames.append(colour.clamp(0, 1).reshape(size, size, 3).cpu().numpy())
    return frames


def run_nerf(
    config: NerfConfig,
    progress: Progress | None = None,
    on_point: Callable[[dict[str, Curve]], None] | None = None,
) -> NerfResult:
    """Train ours then vanilla on the configured scene; `on_point` sees the curves so far."""
    config.validate()
    device, started = resolve_device(config), time.perf_counter()
    say = progress or (lambda done, total, note: None)
    total = planned_work(config)
    check_fits(config, device)
    seed_everything(config.seed)
    data = scenes.load(config, device)
    say(
        1,
        total,
        f"{data.name}: {len(data.train.images)} training, {len(data.test.images)} held-out views",
    )
    rays = data.training_rays()
    generator = torch.Generator().manual_seed(config.seed)
    probe = _probe(data, config.eval_pixels, generator)
    mean = rays[2].mean(0)
    baseline = psnr(float(torch.mean((data.test.images - mean) ** 2)))
    curves: dict[str, Curve] = {}
    methods = {
        "ours": Ours(config, data.bound, data.background, device),
        "vanilla": Vanilla(config, data.bound, data.background, device),
    }
    order = ("vanilla", "ours") if config.ours_chases_vanilla else ("ours", "vanilla")
    seconds = {"ours": config.ours_seconds, "vanilla": config.vanilla_seconds}
    offset = {order[0]: 1.0, order[1]: 1.0 + seconds[order[0]]}
    for name in order:

        def _point(curve: Curve, name: str = name) -> None:
            curves[name] = curve
            say(
                offset[name] + curve.points[-1]["seconds"],
                total,
                f"{name}: step {curve.steps}, held-out {curve.points[-1]['psnr']:.2f} dB",
            )
            if on_point is not None:
                on_point(dict(curves))

        steps = config.ours_max_steps if name == "ours" else config.vanilla_max_steps
        targets = _targets(config, name, curves)
        floor = config.ours_min_seconds if name == "ours" else 0.0
        budget = Budget(seconds[name], steps, config.eval_every_s, targets, floor)
        step_gen = torch.Generator(device=device).manual_seed(config.seed + 1)
        curves[name] = train(methods[name], rays, probe, budget, _point, step_gen)
    curves = {name: curves[name] for name in ("ours", "vanilla")}
    return _finish(config, device, data, methods, curves, baseline, started, say, total)


def _targets(config: NerfConfig, name: str, curves: dict[str, Curve]) -> tuple[float, ...]:
    """PSNRs at which ours stops early (the benchmark): 30 dB and vanilla's best point."""
    if name != "ours" or config.stop_at_psnr is None:
        return ()
    chase = (curves["vanilla"].best,) if config.ours_chases_vanilla and "vanilla" in curves else ()
    return (config.stop_at_psnr, *chase)


def _finish(config, device, data, methods, curves, baseline, started, say, total) -> NerfResult:  # noqa: ANN001, PLR0913
    scores, views = {}, {"truth": data.test.images[0].cpu().numpy()}
    for name, method in methods.items():
        scores[name], (image, depth) = held_out(method, data)
        views[name], views[f"{name}_depth"] = image.cpu().numpy(), depth.cpu().numpy()
    views["error"] = abs(views["ours"] - views["truth"]).mean(-1)
    views["vanilla_error"] = abs(views["vanilla"] - views["truth"]).mean(-1)
    orbit = _orbit(methods["ours"], data, config)
    say(total, total, "held-out views and orbit rendered")
    ours = methods["ours"]
    evaluated, considered = ours.evaluated
    stats = {
        "occupied_fraction": ours.occupied_fraction(),
        "samples_evaluated_fraction": evaluated / max(considered, 1),
        "ours_steps_per_s": curves["ours"].steps / max(curves["ours"].seconds, 1e-9),
        # a captured step (CUDA graph): how many captures, and why none if one failed
        "ours_graph_captures": ours.graphed.captures if ours.graphed else None,
        "ours_graph_error": ours.graphed.error if ours.graphed else None,
        "ours_overflow_steps": ours.overflow_steps,
        "vanilla_steps_per_s": curves["vanilla"].steps / max(curves["vanilla"].seconds, 1e-9),
        "image_size": [data.test.height, data.test.width],
        "train_views": len(data.train.images),
        "test_views": len(data.test.images),
    }
    return NerfResult(
        config,
        device,
        data.name,
        curves,
        scores,
        baseline,
        views,
        orbit,
        stats,
        time.perf_counter() - started,
    )
