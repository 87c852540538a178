"""The objective: next-token cross-entropy over labelled positions, with or without full logits.

`causal_lm_loss` is the reference on the full logits. `chunked_causal_lm_loss` is the same number
without ever holding the full fp32 logits: the output head and the cross-entropy run together over
chunks of tokens. `split_head` says for which models the head may move into the loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

IGNORE_INDEX = -100  # cross-entropy skips these positions: padding and prompt tokens


def causal_lm_loss(
    logits: torch.Tensor, labels: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    """Next-token cross-entropy: logits[:, t] predicts labels[:, t+1]; -100 positions are skipped.

    Computed in fp32 (logits are upcast) because a 49k-way softmax in bf16 loses precision.
    """
    import torch.nn.functional as F

    vocab = logits.shape[-1]
    return F.cross_entropy(
        logits[:, :-1, :].float().reshape(-1, vocab),
        labels[:, 1:].reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction=reduction,
    )


def chunked_causal_lm_loss(
    hidden: torch.Tensor, head: torch.nn.Linear, labels: torch.Tensor, chunk_tokens: int = 4096
) -> torch.Tensor:
    """`causal_lm_loss(head(hidden), labels, reduction="sum")` without the full logits tensor.

    At seq 512 × batch 16 and a 49k vocabulary the logits are 0.8 GB in bf16, 1.6 GB more upcast
    to fp32, and as much again for their gradient. Here the head and the cross-entropy run over
    `chunk_tokens` positions at a time, and each chunk's gradient (softmax minus one-hot) is taken
    while its logits exist, so backward keeps a [tokens, hidden] gradient, never [tokens, vocab].
    Same numbers as the reference: the head runs in the autocast dtype (bf16) when autocast is on,
    the softmax in fp32.
    """
    import torch

    # Position t predicts the label at t+1; each row's last position predicts nothing.
    ignore_last = labels.new_full((labels.shape[0], 1), IGNORE_INDEX)
    targets = torch.cat([labels[:, 1:], ignore_last], dim=1).reshape(-1)
    device_type = hidden.device.type
    autocast = torch.is_autocast_enabled(device_type)
    dtype = torch.get_autocast_dtype(device_type) if autocast else hidden.dtype
    flat = hidden.reshape(-1, hidden.shape[-1])
    if not torch.is_grad_enabled():  # evaluation: no gradients to prepare
        no_grads = (False, False, False)
        return _head_loss_and_gradients(
            flat, head.weight, head.bias, targets, chunk_tokens, dtype, no_grads
        )[0]
    return _linear_cross_entropy().apply(flat, head.weight, head.bias, targets, chunk_tokens, dtype)


def _head_loss_and_gradients(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    targets: torch.Tensor,
    chunk_tokens: int,
    dtype: torch.dtype,
    needs_grad: Sequence[bool],
) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
    """Summed cross-entropy of `hidden @ weight.T + bias` and its gradients, chunk by chunk."""
    import torch
    import torch.nn.functional as F

    want_hidden, want_weight, want_bias = needs_grad
    total = torch.zeros((), device=hidden.device, dtype=torch.float32)
    grad_hidden = torch.empty_like(hidden) if want_hidden else None  # every row is written
    grad_weight = torch.zeros_like(weight, dtype=torch.float32) if want_weight else None
    grad_bias = (
        torch.zeros_like(bias, dtype=torch.float32) if want_bias and bias is not None else None
    )
    w = weight.to(dtype)
    b = None if bias is None else bias.to(dtype)
    with torch.autocast(hidden.device.type, enabled=False):
        for start in range(0, hidden.shape[0], chunk_tokens):
            end = start + chunk_tokens
            h = hidden[start:end].to(dtype)
            target = targets[start:end]
            labelled = target != IGNORE_INDEX
            index = target.clamp(min=0).unsqueeze(1)  # -100 -> 0, masked out below
            logits = F.linear(h, w, b).float()
            log_normaliser = torch.logsumexp(logits, dim=1)
            picked = logits.gather(1, index).squeeze(1)
            total += torch.where(labelled, log_normaliser - picked, 0.0).sum()
            if not any(needs_grad):
                continue
            # d(loss)/d(logits) = softmax - one_hot(target) on labelled rows, 0 on the others;
            # rows are independent, so masking after the matmul gives the same rows.
            grad_logits = logits.sub_(log_normaliser.unsqueeze(1)).exp_()
            grad_logits.scatter_add_(1, index, torch.full_like(index, -1, dtype=logits.dtype))
            grad_logits = grad_logits.to(dtype)
            mask = labelled.unsqueeze(1).to(dtype)
            if grad_hidden is not None:
                grad_hidden[start:end] = (grad_logits @ w).mul_(mask)
            if grad_weight is not None:
                grad_weight += (grad_logits.t() @ (h * mask)).float()
            if grad_bias is not None:
                grad_bias += (grad_logits * mask).float().sum(0)
    grads = [grad_hidden, grad_weight, grad_bias]
    if grad_weight is not None:
        grads[1] = grad_weight.to(weight.dtype)
    if grad_bias is not None and bias is not None:
        grads[2] = grad_bias.to(bias.dtype)
    return total, grads


@cache
def _linear_cross_entropy() -> Any:
    """The autograd Function behind `chunked_causal_lm_loss` (built lazily: torch is optional)."""
    import torch

    class LinearCrossEntropy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, hidden, weight, bias, targets, chunk_tokens, dtype):  # type: ignore[override]
            loss, grads = _head_loss_and_gradients(
                hidden, weight, bias, targets, chunk_tokens, dtype, ctx.needs_input_grad[:3]
            )
            ctx.save_for_backward(*grads)
            return loss

        @staticmethod
        def backward(ctx, grad_loss):  # type: ignore[override]
            grads = [None if g is None else g * grad_loss for g in ctx.saved_tensors]
            return (*grads, None, None, None)

    return LinearCrossEntropy


# Model types whose logits are exactly `lm_head(last_hidden_state)` (no logit scaling or
# soft-capping): for them the head can move into the chunked loss.
_PLAIN_HEAD_MODEL_TYPES = frozenset(
    {"llama", "mistral", "qwen2", "qwen3", "gpt2", "phi3", "smollm3"}
)


def split_head(model: Any) -> tuple[Any, Any] | None:
    """(decoder body, output head) of a causal LM whose logits are `head(body(...)[0])`, else None.

    Models not known to be that simple (Gemma's soft-capping, Cohere's logit scale...) return None
    and keep the reference path through the full logits.
    """
    import torch

    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(getattr(causal, "config", None), "model_type", None) not in _PLAIN_HEAD_MODEL_TYPES:
        return None
    head = causal.get_output_embeddings()
    body = getattr(causal, getattr(causal, "base_model_prefix", ""), None)
    if not isinstance(head, torch.nn.Linear) or not isinstance(body, torch.nn.Module):
        return None
    return body, head
