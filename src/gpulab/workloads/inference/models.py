"""The ladder's models and inputs: a ResNet or a BERT encoder, random or loaded weights, one batch."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gpulab.deps import require
from gpulab.errors import UsageError
from gpulab.repro import seed_everything
from gpulab.workloads.inference.config import LadderConfig
from gpulab.workloads.inference.presets import BertShape, ModelPreset, ResNetConfig
from gpulab.workloads.inference.resnet import (
    RANDOM_RESIDUAL_GAMMA,
    ResNet,
    calibrate_batchnorm,
    center_classifier,
)


class Encoder(nn.Module):
    """BERT returning `last_hidden_state` only: compile, ONNX and CUDA graphs want one tensor.

    The batch is fixed-length and unpadded, so no attention mask is passed and every kernel sees
    static shapes.
    """

    def __init__(self, bert: Any) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.bert(input_ids=input_ids).last_hidden_state


def _load_state_dict(source: str) -> dict[str, Any]:
    """A torchvision/timm-style state dict from a file, or `model.safetensors` of a hub repo."""
    path = Path(source).expanduser()
    if not path.exists():
        if source.startswith((".", "/", "~")) or source.count("/") != 1:
            raise UsageError(f"weights {source!r}: no such file, and not a hub id (owner/name)")
        hub = require("huggingface_hub")
        path = Path(hub.hf_hub_download(source, "model.safetensors"))
    if path.is_dir():
        candidates = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.pth"))
        if not candidates:
            raise UsageError(f"weights folder {path} holds no .safetensors or .pth file")
        path = candidates[0]
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path))
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_cnn(preset: ModelPreset, weights: str | None) -> Any:
    """The preset's ResNet, with random weights or a checkpoint (class count read from its fc)."""
    config = preset.architecture
    assert isinstance(config, ResNetConfig)
    if weights is None:
        return ResNet(config, residual_gamma=RANDOM_RESIDUAL_GAMMA).eval()
    state = _load_state_dict(weights)
    if "fc.weight" in state:
        config = replace(config, num_classes=int(state["fc.weight"].shape[0]))
    model = ResNet(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise UsageError(f"weights {weights!r} do not fit {preset.label}: {err}") from err
    return model.eval()


def load_transformer(preset: ModelPreset, weights: str | None, seq_len: int) -> Any:
    """A BERT encoder (random or pretrained weights) wrapped to return one tensor."""
    transformers = require("transformers")
    if weights is None:
        shape = preset.architecture
        assert isinstance(shape, BertShape)
        config = transformers.BertConfig(**asdict(shape), attn_implementation="eager")
        bert = transformers.BertModel(config, add_pooling_layer=False)
    else:
        try:
            bert = transformers.BertModel.from_pretrained(
                weights, add_pooling_layer=False, attn_implementation="eager"
            )
        except OSError as err:
            raise UsageError(f"weights {weights!r}: {err}") from err
    if seq_len > bert.config.max_position_embeddings:
        raise UsageError(
            f"sequence length {seq_len} exceeds this model's "
            f"{bert.config.max_position_embeddings} positions"
        )

    return Encoder(bert).eval()


def set_attention(encoder: Any, implementation: str) -> None:
    """Switch a BERT encoder between the eager (matmul-softmax-matmul) and SDPA attention."""
    bert = encoder.bert
    if hasattr(bert, "set_attn_implementation"):
        bert.set_attn_implementation(implementation)
    else:  # transformers < 4.56
        bert.config._attn_implementation = implementation


def prepare_model(config: LadderConfig, device: torch.device) -> tuple[Any, Any, str]:
    """The FP32 master model (on the CPU), the input batch (CPU) and where the weights came from."""
    seed_everything(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    if config.family == "cnn":
        model = load_cnn(config.preset, config.weights)
        shape = (3, config.resolution, config.resolution)
        inputs = torch.randn((config.batch, *shape), generator=generator)
        if config.weights is None:  # on the device: ResNet-50 passes are slow on a CPU
            calibration = torch.Generator(device).manual_seed(config.seed + 1)
            model.to(device)

            def random_batch() -> torch.Tensor:
                size = (min(config.batch, 32), *shape)
                return torch.randn(size, generator=calibration, device=device)

            calibrate_batchnorm(model, random_batch)
            center_classifier(model, random_batch)
            model.cpu()
        label = "random weights, calibrated" if config.weights is None else "loaded"
    else:
        model = load_transformer(config.preset, config.weights, config.seq_len)
        vocab = model.bert.config.vocab_size
        inputs = torch.randint(0, vocab, (config.batch, config.seq_len), generator=generator)
        label = "random weights" if config.weights is None else "loaded"
    if config.weights is not None:
        label = f"{label} from {config.weights}"
    return model, inputs, label
