"""Where a step of our LoRA loop spends its time on the GPU: the bench's full-profile sizes.

    python scripts/device/lora_profile.py [--steps 30] [--variants default,across,full-logits] [--profile smoke]

For each variant: trains `steps` steps (the first 10 warm up and compile), then profiles 5 with
torch.profiler and prints ms per step (wall), the GPU's busy ms per step (sum of kernel times),
kernel launches per step and the top kernels by GPU time. Busy far below wall means the host
(Python, launches, syncs) is the bottleneck; busy near wall points at the kernels listed.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from gpulab.workloads.lora import FinetuneConfig, make_blocks
from gpulab.workloads.lora.comparison_setup import fresh_lora_model, prepare
from gpulab.workloads.lora.compiled_layers import CompiledLayers
from gpulab.workloads.lora.graphed_step import GraphedStep, graph_ready_optimizer
from gpulab.workloads.lora.train import learning_rate_at, start_training, summed_loss, train_step


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


VARIANTS = {
    "default": {},
    "across": {"documents_apart": False},
    "full-logits": {"loss_chunk_tokens": 0},
    "eager": {"compile": False},
    "graphed": {},
    "graphed-eager-layers": {"compile": False},
}


def profile_variant(base: FinetuneConfig, prepared, name: str, steps: int) -> None:
    config = replace(base, steps=steps, **VARIANTS[name])
    model, bundle = fresh_lora_model(config)
    pad = prepared.tokenizer.pad_token_id
    blocks = make_blocks(
        prepared.train_sequences, config.seq_len, pad, config.packing, config.documents_apart
    )
    state = start_training(model, blocks, config)
    step_fn = train_step
    if name.startswith("graphed"):
        state.optimizer = graph_ready_optimizer(state.params, config, state.device)
        graphed = GraphedStep(state, summed_loss)
        step_fn = lambda state, step, lr: graphed.run(step, lr)  # noqa: E731
    model.train()
    layers = CompiledLayers(model, config.compile_backend, enabled=config.compile)
    attention = getattr(bundle.model.config, "_attn_implementation", None)
    with layers:
        start = time.perf_counter()
        for step in range(steps - 5):
            step_fn(state, step, learning_rate_at(step, config))
        _sync()
        warm = time.perf_counter() - start
        activities = [torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]
        with torch.profiler.profile(activities=activities) as prof:
            start = time.perf_counter()
            for step in range(steps - 5, steps):
                step_fn(state, step, learning_rate_at(step, config))
            _sync()
            wall = (time.perf_counter() - start) / 5
    losses = state.losses[:steps].tolist()
    print(f"  losses: step 0 {losses[0]:.3f}, step 10 {losses[10]:.3f}, last {losses[-1]:.3f}")
    events = prof.key_averages()
    kernels = [e for e in events if e.device_type == torch.autograd.DeviceType.CUDA]
    busy = sum(e.self_device_time_total for e in kernels) / 5 / 1e3
    launches = sum(e.count for e in kernels) / 5
    tokens = config.batch_size * config.grad_accum * config.seq_len
    print(
        f"\n== {name}: compiled={layers.active} attention={attention} "
        f"warm-up {warm:.1f} s; {wall * 1e3:.1f} ms/step wall, GPU busy {busy:.1f} ms/step "
        f"({100 * busy / (wall * 1e3):.0f} %), {launches:.0f} kernels/step, "
        f"{tokens / wall:,.0f} positions/s"
    )
    top = sorted(kernels, key=lambda e: e.self_device_time_total, reverse=True)[:18]
    for e in top:
        print(f"  {e.self_device_time_total / 5 / 1e3:7.2f} ms  x{e.count // 5:<5} {e.key[:110]}")
    host = [e for e in events if e.device_type == torch.autograd.DeviceType.CPU]
    print("  host ops by self CPU time:")
    for e in sorted(host, key=lambda e: e.self_cpu_time_total, reverse=True)[:8]:
        print(f"  {e.self_cpu_time_total / 5 / 1e3:7.2f} ms  x{e.count // 5:<5} {e.key[:110]}")
    del model, bundle, state
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--variants", default="default,across,full-logits")
    parser.add_argument("--profile", default="full", help="smoke: a CPU check of this script")
    args = parser.parse_args()
    base = FinetuneConfig.bench_for_profile(args.profile)
    print("config:", {k: v for k, v in base.to_dict().items() if k != "data"})
    prepared = prepare(base)
    for name in args.variants.split(","):
        profile_variant(base, prepared, name, args.steps)


if __name__ == "__main__":
    main()
