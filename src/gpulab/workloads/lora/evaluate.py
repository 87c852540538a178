"""Scoring and sampling: validation loss per token, and seeded generations before vs after."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gpulab.errors import UsageError
from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import synchronize
from gpulab.workloads.lora.blocks import Blocks, format_prompt
from gpulab.workloads.lora.config import autocast, resolve_precision
from gpulab.workloads.lora.objective import causal_lm_loss


@dataclass
class EvalResult:
    loss: float  # mean cross-entropy per predicted (non-padding, non-prompt) token, in nats
    tokens: int

    @property
    def perplexity(self) -> float:
        return math.exp(min(self.loss, 700.0))


def evaluate(
    model: Any,
    blocks: Blocks,
    batch_size: int = 8,
    precision: str = "fp32",
    progress: ProgressFn = no_progress,
) -> EvalResult:
    """Mean loss over every non-padding token of `blocks` (token-weighted, not batch-averaged).

    `progress` hears rows scored (of all rows); with it, each batch waits for the GPU first.
    """
    import torch

    device = next(model.parameters()).device
    precision = resolve_precision(precision, device)
    was_training = model.training
    model.eval()
    total = torch.zeros((), device=device, dtype=torch.float64)
    with torch.no_grad():
        for start in range(0, blocks.rows, batch_size):
            ids = blocks.input_ids[start : start + batch_size].to(device)
            labels = blocks.labels[start : start + batch_size].to(device)
            with autocast(precision, device):
                logits = model(input_ids=ids, use_cache=False).logits
            total += causal_lm_loss(logits, labels, reduction="sum").double()
            if progress is not no_progress:
                synchronize(device)
                done = min(blocks.rows, start + batch_size)
                progress(done, blocks.rows, f"{done:,} of {blocks.rows:,} rows scored")
    model.train(was_training)
    tokens = blocks.trained_tokens()
    if tokens == 0:
        raise UsageError("the validation set has no tokens to score")
    return EvalResult(loss=float(total) / tokens, tokens=tokens)


def generate_text(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    max_new_tokens: int = 40,
    seed: int = 0,
    chat: bool = False,
    temperature: float = 0.7,
    progress: ProgressFn = no_progress,
) -> list[str]:
    """Sampled continuations, seeded per prompt so 'before' and 'after' see the same randomness.

    `progress` hears prompts answered (of all prompts).
    """
    import torch

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs = []
    for index, prompt in enumerate(prompts):
        text = format_prompt(tokenizer, prompt) if chat else prompt
        encoded = tokenizer(text, return_tensors="pt", add_special_tokens=False).to(device)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed + index)
            with torch.no_grad():
                generated = model.generate(
                    **encoded,
                    max_new_tokens=max_new_tokens,
                    do_sample=True,
                    temperature=temperature,
                    top_p=0.9,
                    pad_token_id=tokenizer.pad_token_id,
                )
        new_tokens = generated[0, encoded["input_ids"].shape[1] :]
        outputs.append(tokenizer.decode(new_tokens, skip_special_tokens=True))
        progress(index + 1, len(prompts), f"{index + 1} of {len(prompts)} prompts answered")
    model.train(was_training)
    return outputs
