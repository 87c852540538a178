"""Ours' training speed on the GPU, per hash-encoding path, ray batch and step capture (issue 16).

    python scripts/device/nerf_probe.py [--tiny] [--budget S] [--variants enc:rays[:flag],...]

First one forward + backward of the encoding alone (the full 16-level, 2^19 grid; 2^18 points)
for each path: reference (the level loop, autograd's sort-based index_put_ backward),
index_add (all levels at once, atomic index_add_ backward) and triton (fused kernels). Then,
on the procedural full-size scene (100 + 20 views of 400²): 5 profiled steps eager and 5
replayed from a CUDA graph (kernels, device and wall ms a step, host waits); 48 steps from one
seed captured and eager, their losses side by side; and ours trained for `budget` seconds
(default 15) per variant, one line each: path, rays a step, lr, steps/s, rays/s, the bench's
held-out PSNR probe (`subset_psnr` on the same 65,536 fixed held-out pixels, every 2 s) at
budget/3, 2 budget/3 and budget, and the seconds to 30, 31, 31.7 and 32.5 dB. Training goes
through `training.train`, the bench's loop (clock paused while measuring). The variants run in
the order given (flags in `parse_variants`; default: captured steps at 4096, 16384 and 8192
rays, then 4096 and 16384 with a decaying lr); one that would end past `--limit` seconds (140)
is skipped and says so. Writes $OUT/nerf-probe.json (OUT defaults to ".").

`--tiny`: the smoke scene (32² views) on whatever device there is, 2 s budgets, small batches,
a small grid: a check that the probe runs, not a measurement. Triton runs on a CUDA device, or
on the CPU under TRITON_INTERPRET=1 (set before start; slow); elsewhere its variants are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from gpulab.repro import seed_everything
from gpulab.timing import benchmark, synchronize
from gpulab.workloads.nerf import NerfConfig
from gpulab.workloads.nerf import data as scenes
from gpulab.workloads.nerf.hashgrid import HashGrid, triton_usable
from gpulab.workloads.nerf.methods import Ours
from gpulab.workloads.nerf.suite import _probe
from gpulab.workloads.nerf.training import Budget, train

FULL_VARIANTS = (
    "triton:4096:graph,triton:16384:graph,triton:8192:graph,triton:4096:graph:decay=20000,"
    "triton:16384:graph:decay=8000"
)
TARGETS_DB = (30.0, 31.0, 31.7, 32.5)  # held-out PSNR marks: time to each
TINY_VARIANTS = (
    "reference:256,index_add:256,index_add:256:static,triton:256,index_add:1024,"
    "index_add:256:static:decay=50"
)


def runnable(encoding: str, device: str) -> str:
    """'' where `encoding` can run on `device`, else why not."""
    if encoding != "triton" or triton_usable(torch.device(device)):
        return ""
    return "triton needs a CUDA device (or TRITON_INTERPRET=1 on the CPU) and triton installed"


def time_encoding(
    config: NerfConfig, encoding: str, points: int, device: str, repeats: int = 10
) -> dict[str, Any]:
    """Median seconds of one forward + backward of the encoding alone (3 warm-up)."""
    why = runnable(encoding, device)
    if why:
        return {"encoding": encoding, "skipped": why}
    grid = HashGrid.for_config(config, backend=encoding).to(device)
    gen = torch.Generator(device=device).manual_seed(0)
    x = torch.rand(points, 3, device=device, generator=gen)
    grad = torch.randn(points, grid.out_features, device=device, generator=gen)

    def fwd_bwd() -> None:
        grid.table.grad = None
        grid(x).backward(grad)

    median = benchmark(fwd_bwd, warmup=3, repeats=repeats).median_s
    return {
        "encoding": encoding,
        "points": points,
        "fwd_bwd_ms": 1e3 * median,
        "points_per_s": points / median,
    }


def profile_steps(config, data, rays, encoding, batch, device, graph, steps: int = 5):  # noqa: ANN001, ANN201, PLR0913
    """One profiled stretch of `steps` training steps after 20 warm ones: kernels launched,
    device-busy and wall milliseconds a step, and host-side waits (a launch-bound step shows
    device time well under wall time)."""
    from torch.profiler import ProfilerActivity, profile

    config = replace(config, encoding=encoding, batch_rays=batch, cuda_graph=graph)
    seed_everything(config.seed)
    method = Ours(config, data.bound, data.background, device)
    gen = torch.Generator(device=device).manual_seed(config.seed + 1)
    origins, dirs, colours = rays

    def step() -> None:
        idx = torch.randint(0, origins.shape[0], (batch,), generator=gen, device=device)
        method.step(origins[idx], dirs[idx], colours[idx])

    for _ in range(20):
        step()
    method.steps = 1  # no occupancy update inside the profiled steps (it runs every 16th)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    synchronize()
    start = time.perf_counter()
    with profile(activities=activities) as prof:
        for _ in range(steps):
            step()
        synchronize()
    wall = (time.perf_counter() - start) / steps
    events = prof.key_averages()
    kernels = sum(e.count for e in events if e.device_type.name == "CUDA")
    device_us = sum(e.self_device_time_total for e in events if e.device_type.name == "CUDA")
    waits = {
        e.key: e.count
        for e in events
        if e.key
        in ("cudaStreamSynchronize", "cudaDeviceSynchronize", "aten::nonzero", "aten::item")
    }
    return {
        "encoding": encoding,
        "cuda_graph": graph,
        "batch_rays": batch,
        "wall_ms_per_step": 1e3 * wall,
        "kernels_per_step": kernels / steps if device == "cuda" else None,
        "device_ms_per_step": device_us / 1e3 / steps if device == "cuda" else None,
        "host_waits_per_step": {k: v / steps for k, v in waits.items()},
        "top_ops": [
            (e.key, round(e.self_device_time_total / 1e3 / steps, 3), e.count // steps)
            for e in sorted(events, key=lambda e: -e.self_device_time_total)[:12]
        ]
        if device == "cuda"
        else [],
    }


def parse_variants(text: str, base_lr: float) -> list[dict[str, Any]]:
    """'enc:rays[:flag...]' comma-separated -> one override dict per variant. Flags: a number
    (the lr), 'sqrt' (the config's lr x sqrt(rays / 4096)), 'static' (a calibrated fixed number
    of samples a step, no sync), 'graph' (the step captured as a CUDA graph; implies static),
    'decay=N' (exponential lr decay to 0.1x at step N). Without 'graph' the step stays eager."""
    out = []
    for item in text.split(","):
        parts = item.strip().split(":")
        row = {
            "encoding": parts[0],
            "batch_rays": int(parts[1]),
            "lr": base_lr,
            "static_samples": False,
            "cuda_graph": False,
            "lr_decay_steps": 0,
        }
        for flag in parts[2:]:
            if flag == "static":
                row["static_samples"] = True
            elif flag == "graph":
                row["cuda_graph"] = True
            elif flag.startswith("decay="):
                row["lr_decay_steps"] = int(flag.removeprefix("decay="))
            elif flag == "sqrt":
                row["lr"] = base_lr * (row["batch_rays"] / 4096) ** 0.5
            elif flag:
                row["lr"] = float(flag)
        out.append(row)
    return out


def variant_name(variant: dict[str, Any]) -> str:
    flags = [
        "graph" if variant["cuda_graph"] else "static" if variant["static_samples"] else "",
        f"decay{variant['lr_decay_steps']}" if variant["lr_decay_steps"] else "",
    ]
    return "+".join([variant["encoding"], *filter(None, flags)])


def psnr_at(points: list[dict[str, float]], mark: float) -> dict[str, float] | None:
    """The first curve point at or after `mark` training seconds (the loop measures there)."""
    after = [p for p in points if p["seconds"] >= mark - 1e-9]
    return after[0] if after else (points[-1] if points else None)


def train_variant(config, data, rays, probe, variant, budget, device):  # noqa: ANN001, ANN201, PLR0913
    """Train a fresh ours for `budget` s; its speed and held-out PSNR at the three marks."""
    config = replace(config, **variant)
    seed_everything(config.seed)
    method = Ours(config, data.bound, data.background, device)
    step_gen = torch.Generator(device=device).manual_seed(config.seed + 1)
    curve = train(
        method,
        rays,
        probe,
        Budget(budget, 10**9, min(2.0, budget / 3)),
        lambda curve: None,
        step_gen,
    )
    marks = [budget / 3, 2 * budget / 3, budget]
    at = [psnr_at(curve.points, m) for m in marks]
    steps_per_s = curve.steps / max(curve.seconds, 1e-9)
    graphed = method.graphed
    return {
        **variant,
        "overflow_steps": method.overflow_steps,
        "graph_captures": graphed.captures if graphed else None,
        "graph_error": graphed.error if graphed else None,
        "capacity": method.capacity or method.capacity_before,
        "steps": curve.steps,
        "seconds": curve.seconds,
        "steps_per_s": steps_per_s,
        "rays_per_s": steps_per_s * variant["batch_rays"],
        "psnr_marks_s": marks,
        "psnr": [p["psnr"] if p else None for p in at],
        "psnr_measured_at_s": [p["seconds"] if p else None for p in at],
        "points": curve.points,
        "seconds_to_db": {str(db): curve.time_to(db) for db in TARGETS_DB},
        "occupied_fraction": method.occupied_fraction(),
        "peak_mib": torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None,
    }


def graph_matches_eager(config, data, rays, device, steps: int = 48) -> dict[str, Any]:  # noqa: ANN001
    """The same `steps` from the same seed, captured and eager (both at a fixed capacity):
    their losses side by side (the jitter may differ in order, so a close, not equal, curve)."""
    losses = {}
    for graph in (False, True):
        run = replace(config, static_samples=True, cuda_graph=graph)
        seed_everything(run.seed)
        method = Ours(run, data.bound, data.background, device)
        gen = torch.Generator(device=device).manual_seed(run.seed + 1)
        origins, dirs, colours = rays
        seq = []
        for _ in range(steps):
            idx = torch.randint(
                0, origins.shape[0], (run.batch_rays,), generator=gen, device=device
            )
            seq.append(method.step(origins[idx], dirs[idx], colours[idx]))
        losses["graph" if graph else "eager"] = [float(x) for x in seq]
        if graph:
            losses["captures"] = method.graphed.captures
            losses["error"] = method.graphed.error
    pairs = zip(losses["eager"], losses["graph"], strict=True)
    losses["max_rel_diff_last8"] = max(abs(a - b) / abs(a) for a, b in list(pairs)[-8:])
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--budget", type=float, default=None, help="training seconds a variant")
    parser.add_argument("--variants", default=None, help=f"default: {FULL_VARIANTS}")
    parser.add_argument(
        "--limit", type=float, default=140.0, help="seconds: start no variant that would pass it"
    )
    parser.add_argument("--points", type=int, default=None, help="encoding timing points")
    args = parser.parse_args()
    started = time.perf_counter()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.tiny:
        config = replace(NerfConfig.for_profile("smoke"), ours_max_steps=10**9, eval_pixels=256)
        budget, variants, points, repeats = 2.0, TINY_VARIANTS, 1 << 12, 3
    else:
        config, budget, variants, points, repeats = NerfConfig(), 15.0, FULL_VARIANTS, 1 << 18, 10
    budget = args.budget or budget
    points = args.points or points
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else "none (CPU)"
    triton_version = None
    if triton_usable(torch.device(device)):
        import triton

        triton_version = triton.__version__
    print(f"torch {torch.__version__}, triton {triton_version}, GPU {gpu}", flush=True)
    report: dict[str, Any] = {
        "device": gpu,
        "torch": torch.__version__,
        "triton": triton_version,
        "tiny": args.tiny,
        "budget_s": budget,
        "config": config.to_dict(),
        "encoding_timings": [],
        "variants": [],
    }

    for encoding in ("reference", "index_add", "triton"):
        interpreted = encoding == "triton" and device == "cpu"  # Triton's interpreter: slow
        n = min(points, 256) if interpreted else points
        try:
            row = time_encoding(config, encoding, n, device, 1 if interpreted else repeats)
        except Exception as err:  # noqa: BLE001 - recorded, the probe goes on
            row = {"encoding": encoding, "skipped": f"failed: {err!r}"}
        report["encoding_timings"].append(row)
        if "skipped" in row:
            print(f"encode {encoding:10} skipped: {row['skipped']}", flush=True)
        else:
            print(
                f"encode {encoding:10} {row['points']} points fwd+bwd {row['fwd_bwd_ms']:8.2f} ms "
                f"({row['points_per_s'] / 1e6:7.1f} M points/s)",
                flush=True,
            )

    t0 = time.perf_counter()
    seed_everything(config.seed)
    data = scenes.load(config, device)
    rays = data.training_rays()
    probe = _probe(data, config.eval_pixels, torch.Generator().manual_seed(config.seed))
    synchronize()
    report["scene_s"] = time.perf_counter() - t0
    print(f"scene {data.name}: {rays[0].shape[0]:,} training rays in {report['scene_s']:.1f} s")

    best = "triton" if device == "cuda" and not runnable("triton", device) else "index_add"
    report["profiles"] = []
    for graph in (False, True) if device == "cuda" else (False,):
        try:
            row = profile_steps(config, data, rays, best, config.batch_rays, device, graph)
        except Exception as err:  # noqa: BLE001 - the probe goes on; the JSON says what failed
            report["profiles"].append({"cuda_graph": graph, "error": repr(err)})
            print(f"profile (graph {graph}) failed: {err!r}", flush=True)
            continue
        report["profiles"].append(row)
        print(
            f"profile {best} {config.batch_rays} rays, graph {graph}: "
            f"{row['wall_ms_per_step']:.2f} ms/step wall, device {row['device_ms_per_step']} ms, "
            f"kernels {row['kernels_per_step']}, host waits {row['host_waits_per_step']}",
            flush=True,
        )
        for name, ms, count in row["top_ops"][:6]:
            print(f"    {ms:8.3f} ms/step  x{count:<4d} {name[:90]}", flush=True)

    if device == "cuda" and not args.tiny:
        try:
            check = graph_matches_eager(config, data, rays, device)
        except Exception as err:  # noqa: BLE001 - recorded, the probe goes on
            check = {"error": repr(err)}
        report["graph_check"] = check
        print(
            f"graph check: captures {check.get('captures')}, error {check.get('error')}, "
            f"last losses eager {check.get('eager', [None])[-1]} graph "
            f"{check.get('graph', [None])[-1]}, max rel diff (last 8) "
            f"{check.get('max_rel_diff_last8')}",
            flush=True,
        )

    for variant in parse_variants(args.variants or variants, config.lr):
        encoding, batch, lr = variant["encoding"], variant["batch_rays"], variant["lr"]
        name = variant_name(variant)
        why = runnable(encoding, device)
        if variant["cuda_graph"] and device != "cuda":
            why = why or "a CUDA graph needs a CUDA device"
        elapsed = time.perf_counter() - started
        if not why and elapsed + 1.2 * budget + 3 > args.limit:
            why = f"time: {elapsed:.0f} s elapsed, {budget:g} s more would pass {args.limit:g} s"
        if why:
            report["variants"].append({**variant, "skipped": why})
            print(f"train {name:22} {batch:6d} rays skipped: {why}", flush=True)
            continue
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        try:
            row = train_variant(config, data, rays, probe, variant, budget, device)
        except Exception as err:  # noqa: BLE001 - an OOM or a compile error ends one variant
            report["variants"].append({**variant, "error": repr(err)})
            print(f"train {name:22} {batch:6d} rays failed: {err!r}", flush=True)
            if device == "cuda":
                torch.cuda.empty_cache()
            continue
        report["variants"].append(row)
        marks = "  ".join(
            f"{m:.3g}s {p:6.2f} dB" if p is not None else f"{m:.3g}s -"
            for m, p in zip(row["psnr_marks_s"], row["psnr"], strict=True)
        )
        print(
            f"train {name:22} {batch:6d} rays lr {lr:.3g}  {row['steps_per_s']:7.1f} steps/s  "
            f"{row['rays_per_s'] / 1e3:8.1f} k rays/s  PSNR {marks}  "
            f"occupied {row['occupied_fraction']:.3f}  overflow steps {row['overflow_steps']}  "
            f"to dB {row['seconds_to_db']}  captures {row['graph_captures']} "
            f"capacity {row['capacity']} "
            f"error {row['graph_error']}",
            flush=True,
        )

    report["seconds"] = time.perf_counter() - started
    out = Path(os.environ.get("OUT", ".")) / "nerf-probe.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"wrote {out} ({report['seconds']:.1f} s in all)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
