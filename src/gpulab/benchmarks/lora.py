"""LoRA fine-tuning: trained tokens/s of gpulab's loop vs transformers.Trainer + PEFT, same settings.

The comparison itself is `gpulab.workloads.lora.compare` (the notebook runs it too); this adapter
picks the sizes (`FinetuneConfig.bench_for_profile`, recorded under `details.config`) and how many
warm-up steps both sides leave out. Our side in the full profile on CUDA: bf16 autocast, packed
rows, fused AdamW, no per-step host sync, the output head and loss computed in chunks, and each
decoder layer compiled with `torch.compile`. Trainer keeps its defaults (`torch_compile=False` is
one of them); the full profile also runs Trainer with `bf16=True` and reports that ratio too
(`GPULAB_LORA_TRAINER_BF16=0` skips that reference run when GPU time is short; the report says so).
"""

from __future__ import annotations

import os
from dataclasses import replace

from gpulab import profiles
from gpulab.bench import BenchResult
from gpulab.workloads import lora

# Steps left out of tokens/s on both sides: CUDA context, cuBLAS heuristics, compiling.
MEASURE_FROM = {profiles.SMOKE: 4, profiles.FULL: 10}
# Whether to add the Trainer bf16=True reference run (GPUs with bf16 only).
TRAINER_BF16 = {profiles.SMOKE: False, profiles.FULL: True}


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
    trainer_bf16 = TRAINER_BF16[profile]
    skip_bf16 = os.environ.get("GPULAB_LORA_TRAINER_BF16", "1").strip().lower() in ("0", "no")
    result = lora.compare(config, MEASURE_FROM[profile], trainer_bf16 and not skip_bf16)
    if trainer_bf16 and skip_bf16:
        result.details["trainer_bf16_skipped"] = "GPULAB_LORA_TRAINER_BF16=0 (GPU time)"
    result.details["config"] = config.to_dict()
    return result
