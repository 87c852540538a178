"""The served models, in plain torch: ResNet-50, a BERT-base encoder and a small MLP.

Both the server child (its own venv, numpy 1.26) and the main environment (the direct forward
pass the server's answers are checked against) build them from the same seed, so their weights
are equal. Weights are random: the point is the serving path's speed, not the predictions.
torch is imported inside the functions; the server never imports transformers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RESNET, BERT, MLP = "resnet50", "bert", "mlp"
MODEL_NAMES = (RESNET, BERT, MLP)
FAULTY = "faulty"  # a model whose function raises: its clients get an error, the others serve on


@dataclass(frozen=True)
class ModelShape:
    """One model's size: `tiny` for a CPU (same architecture, narrower), else the real size."""

    name: str
    tiny: bool = False

    @property
    def image_size(self) -> int:
        return 32 if self.tiny else 224

    @property
    def seq_len(self) -> int:
        return 16 if self.tiny else 128

    @property
    def features(self) -> int:
        return 32 if self.tiny else 1024

    def input_shape(self) -> tuple[int, ...]:
        """One request's input, without the batch dimension."""
        if self.name == RESNET:
            return (3, self.image_size, self.image_size)
        if self.name == BERT:
            return (self.seq_len,)
        return (self.features,)

    def input_dtype(self) -> str:
        """What a request carries: token ids, raw 8-bit pixels (a quarter of float32's bytes on
        the wire; the model normalises them on the server), or features."""
        return {BERT: "int64", RESNET: "uint8"}.get(self.name, "float32")


def build(shape: ModelShape, seed: int = 0, dtype: str = "float32", device: str = "cpu") -> Any:
    """The model in eval mode with weights drawn from `seed` (equal in every process)."""
    import torch

    from gpulab.repro import seed_everything

    seed_everything(seed)
    builders = {RESNET: _resnet50, BERT: _bert, MLP: _mlp, FAULTY: _mlp}
    model = builders[shape.name](shape).to(device=device, dtype=getattr(torch, dtype))
    if shape.name == RESNET and device != "cpu":
        # NHWC: the layout cuDNN's tensor-core convolutions read without transposing
        model = model.to(memory_format=torch.channels_last)
    return model.eval()


def channels_last(model: Any) -> bool:
    """Whether the model's convolutions hold their weights channels-last (NHWC)."""
    import torch

    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    return bool(convs) and convs[0].weight.is_contiguous(memory_format=torch.channels_last)


def example_inputs(shape: ModelShape, count: int, seed: int = 1) -> Any:
    """`count` requests' inputs as one numpy array (a fixed seed: client and check agree)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    full = (count, *shape.input_shape())
    if shape.name == BERT:
        return rng.integers(1, _bert_vocab(shape), size=full, dtype=np.int64)
    if shape.name == RESNET:
        return rng.integers(0, 256, size=full, dtype=np.uint8)
    return rng.standard_normal(full).astype(np.float32)


def forward(model: Any, batch: Any) -> Any:
    """One forward pass on a numpy batch -> float32 numpy (BERT: the [CLS] embedding)."""
    import torch

    param = next(model.parameters())
    with torch.inference_mode():
        out = run_on_device(model, torch.from_numpy(batch).to(param.device))
    return out.cpu().numpy()


def run_on_device(model: Any, tensor: Any) -> Any:
    """The model on a batch already on its device -> float32 outputs there (what a CUDA graph
    records): NHWC where its convolutions are, floats cast to its dtype."""
    import torch

    if tensor.dim() == 4 and channels_last(model):
        tensor = tensor.contiguous(memory_format=torch.channels_last)
    if tensor.is_floating_point():
        tensor = tensor.to(next(model.parameters()).dtype)
    return model(tensor).float()


def _mlp(shape: ModelShape) -> Any:
    from torch import nn

    width = shape.features
    return nn.Sequential(
        nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width), nn.LayerNorm(width)
    )


def _bert_vocab(shape: ModelShape) -> int:
    return 1000 if shape.tiny else 30522


def _bert(shape: ModelShape) -> Any:
    from .bert_encoder import BertEncoder, BertShape

    if shape.tiny:
        size = BertShape(_bert_vocab(shape), 32, 2, 2, 64, max_positions=64)
        return BertEncoder(size)
    return BertEncoder(BertShape())  # bert-base-uncased: 12 layers, hidden 768, 12 heads


def _resnet50(shape: ModelShape) -> Any:
    """ResNet-50 (He et al. 2016, torchvision's layout: stride on the 3x3 conv) in plain torch,
    behind ImageNet's normalisation of 8-bit pixels; tiny keeps the 3-4-6-3 bottleneck stages at
    1/8 of the width."""
    import torch
    from torch import nn

    class Normalise(nn.Module):
        """uint8 pixels -> (x / 255 - mean) / std in the model's own dtype, on its device."""

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", 255 * torch.tensor([0.485, 0.456, 0.406])[:, None, None])
            self.register_buffer("std", 255 * torch.tensor([0.229, 0.224, 0.225])[:, None, None])

        def forward(self, x: Any) -> Any:
            return (x.to(self.mean.dtype) - self.mean) / self.std

    base = 8 if shape.tiny else 64

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, width: int, stride: int) -> None:
            super().__init__()
            cout = 4 * width
            self.body = nn.Sequential(
                nn.Conv2d(cin, width, 1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.Conv2d(width, width, 3, stride, 1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.Conv2d(width, cout, 1, bias=False),
                nn.BatchNorm2d(cout),
            )
            self.skip = nn.Identity()
            if stride != 1 or cin != cout:
                self.skip = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x: Any) -> Any:
            return self.relu(self.body(x) + self.skip(x))

    layers: list[Any] = [
        Normalise(),
        nn.Conv2d(3, base, 7, 2, 3, bias=False),
        nn.BatchNorm2d(base),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, 1),
    ]
    cin = base
    for stage, blocks in enumerate((3, 4, 6, 3)):
        width = base * 2**stage
        for block in range(blocks):
            layers.append(Bottleneck(cin, width, 2 if block == 0 and stage > 0 else 1))
            cin = 4 * width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 1000)]
    return nn.Sequential(*layers)
