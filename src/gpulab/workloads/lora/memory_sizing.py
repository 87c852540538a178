"""A first batch size from free GPU memory: an estimate of activation memory per sequence."""

from __future__ import annotations

from typing import Any

from gpulab.workloads.lora.config import resolve_precision


def activation_bytes_per_sequence(model_config: Any, seq_len: int, precision: str) -> int:
    """Rough memory one training sequence needs: saved activations + fp32 logits and their grad.

    Per layer and token, attention and MLP save about 13·hidden + 4·intermediate values (inputs of
    every projection, LoRA dropout copies, activations); the logits take vocab × (2 + 4 + 4) bytes
    (bf16 logits, fp32 upcast for the loss, its gradient). An estimate for a first batch size.
    """
    hidden = getattr(model_config, "hidden_size", None) or getattr(model_config, "n_embd", 768)
    layers = getattr(model_config, "num_hidden_layers", None) or getattr(
        model_config, "n_layer", 12
    )
    inner = getattr(model_config, "intermediate_size", None) or getattr(
        model_config, "n_inner", None
    )
    inner = inner or 4 * hidden
    vocab = getattr(model_config, "vocab_size", 32000)
    value_bytes = 4 if precision == "fp32" else 2
    per_token = layers * (13 * hidden + 4 * inner) * value_bytes + vocab * 10
    return int(per_token * seq_len)


def default_batch_size(model: Any, seq_len: int, precision: str = "auto", cap: int = 64) -> int:
    """A first batch size from the GPU's free memory (4 on CPU, where memory is rarely the limit).

    Free memory comes from `memory_budget.free_and_total`: under a budget (`--memory-budget`)
    the batch is sized for the smaller card, not for what this GPU has free.
    """
    from gpulab import memory_budget
    from gpulab.memory import suggest_batch_size

    device = next(model.parameters()).device
    if device.type != "cuda":
        return 4
    precision = resolve_precision(precision, device)
    free, _ = memory_budget.free_and_total(device)
    per_sequence = activation_bytes_per_sequence(model.config, seq_len, precision)
    return suggest_batch_size(per_sequence, free, headroom=0.6, cap=cap)
