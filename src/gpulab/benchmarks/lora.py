"""LoRA fine-tuning: trained tokens/s of gpulab's loop vs transformers.Trainer + PEFT, same settings.

The comparison itself is `gpulab.workloads.lora.compare` (the notebook runs it too); this adapter
picks the sizes (`FinetuneConfig.bench_for_profile`, recorded under `details.config`) and how many
warm-up steps both sides leave out. Our side in the full profile on CUDA: bf16 autocast, packed
rows, fused AdamW, no per-step host sync, the output head and loss computed in chunks, and each
decoder layer compiled with `torch.compile`, each step after warm-up replayed from one captured
CUDA graph (`GPULAB_LORA_CUDA_GRAPH=0` runs it eagerly), documents kept apart in packed rows (and
once more across documents, to measure what that costs: `details.packing_comparison`). The headline
peer is Trainer's strongest set-up (bf16, `DataCollatorWithFlattening`, `adamw_torch_fused`, SDPA,
`torch_compile=True` on CUDA, its outcome in `details.trainer.torch_compile`); Trainer's defaults
are `details.trainer_defaults` with their ratio. `GPULAB_LORA_TRAINER_BF16=1` adds Trainer with
only `bf16=True` (off by default: the best set-up already runs bf16).
"""

from __future__ import annotations

import os
from dataclasses import replace

from gpulab import profiles
from gpulab.bench import BenchResult
from gpulab.progress import printed_progress
from gpulab.workloads import lora

# Steps left out of tokens/s on both sides: CUDA context, cuBLAS heuristics, compiling.
MEASURE_FROM = {profiles.SMOKE: 4, profiles.FULL: 10}
# Whether to add the Trainer bf16=True-only reference run (GPUs with bf16 only; opt in).
TRAINER_BF16 = {profiles.SMOKE: False, profiles.FULL: False}


def run(profile: str) -> BenchResult:
    """`gpulab bench lora`: see the module docstring."""
    import torch

    config = lora.FinetuneConfig.bench_for_profile(profile)
    if profile == profiles.SMOKE:
        # A 120k-parameter model gains nothing from a second thread, and OpenMP threads spin
        # badly when a 2-core CI runner is shared; both sides run with the same setting.
        torch.set_num_threads(1)
    # Compiling pays off where kernel launches are the bottleneck (a GPU); on a CPU the C++
    # compile costs more than the run.
    config = replace(config, compile=config.compile and torch.cuda.is_available())
    # GPULAB_LORA_CUDA_GRAPH=0 runs ours' steps eagerly (=1 captures them where the profile
    # does not); the JSON's ours.cuda_graph says what ran
    graph = os.environ.get("GPULAB_LORA_CUDA_GRAPH", "").strip().lower()
    if graph in ("0", "1", "no", "yes"):
        config = replace(config, cuda_graph=graph in ("1", "yes"))
    asked = os.environ.get("GPULAB_LORA_TRAINER_BF16", "").strip().lower()
    trainer_bf16 = asked in ("1", "yes") if asked else TRAINER_BF16[profile]
    result = lora.compare(
        config, MEASURE_FROM[profile], trainer_bf16, progress=printed_progress(every_s=10)
    )
    result.details["config"] = config.to_dict()
    return result
