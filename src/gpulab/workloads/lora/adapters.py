"""LoRA adapters: which layers to adapt, wrapping a model with PEFT, counting, saving, merging."""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpulab.deps import require
from gpulab.errors import UsageError
from gpulab.workloads.lora.config import FinetuneConfig

if TYPE_CHECKING:
    import torch


def find_target_modules(model: Any) -> dict[str, str]:
    """Leaf names of the layers LoRA can adapt -> layer type ('Linear' or GPT-2's 'Conv1D').

    The output head (lm_head, often tied to the embeddings) is excluded: adapting it changes the
    vocabulary projection of every token and is rarely what a fine-tune wants.
    """
    import torch

    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    found: dict[str, str] = {}
    for name, module in model.named_modules():
        if module is output or not name:
            continue
        kind = type(module).__name__
        if isinstance(module, torch.nn.Linear) or kind == "Conv1D":
            found.setdefault(name.rsplit(".", 1)[-1], "Conv1D" if kind == "Conv1D" else "Linear")
    return found


def apply_lora(model: Any, config: FinetuneConfig) -> Any:
    """Wrap `model` in a PEFT LoRA model; only the adapters train. Seeded, so runs compare."""
    import torch

    peft = require("peft")
    available = find_target_modules(model)
    targets = list(config.target_modules or available)
    missing = [t for t in targets if t not in available]
    if missing or not targets:
        raise UsageError(
            f"target modules {missing or targets} not found in {type(model).__name__}; "
            f"its adaptable layers are: {', '.join(sorted(available)) or 'none'}"
        )
    lora_config = peft.LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=targets,
        # GPT-2's Conv1D stores its weight transposed (in, out); PEFT must know.
        fan_in_fan_out=any(available[t] == "Conv1D" for t in targets),
        bias="none",
        task_type="CAUSAL_LM",
    )
    with torch.random.fork_rng(devices=[]), _quiet_peft():
        torch.manual_seed(config.seed)
        return peft.get_peft_model(model, lora_config)


def lora_parameter_count(model: Any, config: FinetuneConfig) -> int:
    """Parameters LoRA will train, before building it: r·(in + out) for every adapted layer."""
    import torch

    available = find_target_modules(model)
    targets = set(config.target_modules or available)
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    total = 0
    for name, module in model.named_modules():
        if module is output or name.rsplit(".", 1)[-1] not in targets:
            continue
        if isinstance(module, torch.nn.Linear):
            total += config.rank * (module.in_features + module.out_features)
        elif type(module).__name__ == "Conv1D":  # weight is (in, out)
            total += config.rank * sum(module.weight.shape)
    return total


def count_parameters(model: Any) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


def save_adapter(model: Any, path: str | Path) -> Path:
    """Write only the LoRA weights and their config (megabytes, not the base model)."""
    path = Path(path)
    model.save_pretrained(path)
    return path


def load_adapter(base_model: Any, path: str | Path) -> Any:
    """Attach a saved adapter to a freshly loaded base model (the same one it was trained on)."""
    peft = require("peft")
    if not (Path(path) / "adapter_config.json").is_file():
        raise UsageError(f"{path} holds no adapter (adapter_config.json missing)")
    with _quiet_peft():
        return peft.PeftModel.from_pretrained(base_model, str(path))


@contextlib.contextmanager
def _quiet_peft() -> Iterator[None]:
    """PEFT asks transformers a deprecated question (is_gradient_checkpointing): not our warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*is_gradient_checkpointing", category=FutureWarning
        )
        yield


def merge_and_export(
    model: Any, tokenizer: Any, path: str | Path, keep_adapter: bool = True
) -> tuple[Any, Path]:
    """Fold W + (alpha/r)·B·A into the base weights and save a plain transformers checkpoint.

    With `keep_adapter`, a copy is merged and `model` keeps its adapter (for comparisons).
    """
    path = Path(path)
    from transformers.utils import logging

    merged = (copy.deepcopy(model) if keep_adapter else model).merge_and_unload()
    bars = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()  # its "Writing model shards" bar; the notebook has its own
    try:
        merged.save_pretrained(path)
    finally:
        if bars:
            logging.enable_progress_bar()
    tokenizer.save_pretrained(path)
    return merged, path


def folder_mib(folder: str | Path) -> float:
    """Size on disk of a saved adapter or checkpoint folder, in MiB."""
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 2**20


def max_logit_difference(model_a: Any, model_b: Any, input_ids: torch.Tensor) -> float:
    """Largest |logit_a - logit_b| on the same input: 0 means the two models agree exactly."""
    import torch

    device = next(model_a.parameters()).device
    with torch.no_grad():
        a = model_a(input_ids=input_ids.to(device), use_cache=False).logits.float()
        b = model_b(input_ids=input_ids.to(next(model_b.parameters()).device), use_cache=False)
        return float((a - b.logits.float().to(device)).abs().max())
