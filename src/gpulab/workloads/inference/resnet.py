"""ResNet written in plain torch with torchvision's module names, and random weights made useful.

A random ResNet gives every image nearly the same logits: drift and top-1 agreement would then
measure nothing. `RANDOM_RESIDUAL_GAMMA`, `calibrate_batchnorm` and `center_classifier` make a
random-weight model react to its input the way a trained one does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from gpulab.workloads.inference.presets import ResNetConfig


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (carries the stride, as torchvision's v1.5) -> 1x1 expand, + shortcut."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        return self.relu(self.bn3(self.conv3(y)) + shortcut)


class ResNet(nn.Module):
    """ResNet with torchvision's module names (conv1, bn1, layer1..4, fc): its checkpoints load.

    `residual_gamma` initialises the scale of each block's last BatchNorm, i.e. how loud each
    residual branch starts (torchvision: 1, or 0 with `zero_init_residual`).
    """

    def __init__(self, config: ResNetConfig, residual_gamma: float = 1.0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, config.width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(config.width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = config.width
        stages = []
        for stage, count in enumerate(config.blocks):
            planes = config.width * 2**stage
            blocks = []
            for index in range(count):
                blocks.append(Bottleneck(inplanes, planes, 2 if stage > 0 and index == 0 else 1))
                inplanes = planes * Bottleneck.expansion
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
            stages.append(f"layer{stage + 1}")
        self.stages = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, config.num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if isinstance(module, Bottleneck):
                nn.init.constant_(module.bn3.weight, residual_gamma)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for stage in self.stages:
            x = getattr(self, stage)(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


# Random weights that behave like trained ones where it matters here: how rounding propagates.
# With every residual branch at full scale (gamma 1) a random ResNet-50 is chaotic: rounding just
# its weights and input to bf16 moved its logits by ~18% (CPU, 32 images at 128 px). Trained
# ResNets have small last-BN scales (the reason torchvision offers zero_init_residual); at 0.25
# the same rounding moves them by under 2% while every branch still contributes.
RANDOM_RESIDUAL_GAMMA = 0.25


def calibrate_batchnorm(model: Any, make_batch: Callable[[], Any], batches: int = 2) -> None:
    """Give a random-weight CNN real BatchNorm statistics (the mean/variance of its activations).

    Freshly initialised BatchNorm layers hold mean 0 / variance 1, so in eval mode activations
    grow block after block until every image gets nearly the same logits: drift and top-1
    agreement would then be meaningless. A few forward passes in train mode fix that.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(make_batch())
    model.eval()


def center_classifier(model: Any, make_batch: Callable[[], Any], batches: int = 2) -> None:
    """Set a random classifier's bias so each class's mean logit over random inputs is zero.

    Pooled ReLU features share a large common part, so a random head gives every image nearly
    the same logits and the same top-1 class; centred, the logits are what differs between
    inputs, and relative error and top-1 agreement measure something.
    """
    with torch.no_grad():
        mean = torch.stack([model(make_batch()).mean(0) for _ in range(batches)]).mean(0)
        model.fc.bias -= mean
