"""The ladder's models by name: their architecture sizes, without building anything (no torch)."""

from __future__ import annotations

from dataclasses import dataclass

FAMILIES = ("cnn", "transformer")


@dataclass(frozen=True)
class ResNetConfig:
    """Bottleneck ResNet: (3, 4, 6, 3) blocks of base width 64 is ResNet-50."""

    blocks: tuple[int, ...] = (3, 4, 6, 3)
    width: int = 64
    num_classes: int = 1000


@dataclass(frozen=True)
class BertShape:
    """The BERT sizes we vary; everything else is `transformers.BertConfig`'s default."""

    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    vocab_size: int = 30522
    max_position_embeddings: int = 512


@dataclass(frozen=True)
class ModelPreset:
    name: str
    family: str
    label: str
    architecture: ResNetConfig | BertShape


MODELS: dict[str, ModelPreset] = {
    preset.name: preset
    for preset in [
        ModelPreset("resnet50", "cnn", "ResNet-50", ResNetConfig()),
        ModelPreset("resnet-tiny", "cnn", "tiny ResNet (smoke)", ResNetConfig((1, 1, 1, 1), 8, 10)),
        ModelPreset("bert-base", "transformer", "BERT-base encoder", BertShape()),
        ModelPreset(
            "bert-tiny",
            "transformer",
            "tiny BERT encoder (smoke)",
            BertShape(64, 2, 4, 128, 1000, 128),
        ),
    ]
}
