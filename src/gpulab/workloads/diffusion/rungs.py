"""The optimisation ladder's rungs: what each changes, whether it is lossy, where it can run.

Lossless rungs change how the same computation runs (memory layout, fused projections, a
compiler): their images must match the default's at the same seed. Lossy rungs change the
computation (skip work, fewer steps, a smaller decoder) and are reported apart with their drift.
"""

from __future__ import annotations

from dataclasses import dataclass

UNVERIFIED = "not installed — unverified"
GPU_ONLY = "GPU only (torch.compile with CUDA graphs needs a CUDA GPU)"


@dataclass(frozen=True)
class Rung:
    name: str
    label: str
    what: str
    lossy: bool = False
    cuda_only: bool = False
    opt_in: bool = False
    module: str | None = None  # the optional package it needs (import name)
    distribution: str | None = None  # its name on PyPI


RUNGS: tuple[Rung, ...] = (
    Rung("default", "diffusers default", "fp16 weights (fp32 on a CPU), PyTorch SDPA attention"),
    Rung("channels_last", "+ channels_last", "UNet and VAE in NHWC layout for cuDNN convolutions"),
    Rung(
        "fused_qkv",
        "+ fused QKV",
        "one matmul for Q, K and V in every attention block (UNet and VAE)",
    ),
    Rung(
        "compile",
        "+ torch.compile",
        "UNet and VAE decoder compiled, mode='reduce-overhead' (CUDA graphs)",
        cuda_only=True,
    ),
    Rung(
        "max_autotune",
        "+ max-autotune",
        "torch.compile mode='max-autotune' (autotunes matmuls and convolutions: many minutes)",
        cuda_only=True,
        opt_in=True,
    ),
    Rung(
        "tensorrt",
        "TensorRT",
        "the UNet through torch-tensorrt's compile backend, fp16",
        cuda_only=True,
        module="torch_tensorrt",
        distribution="torch-tensorrt",
    ),
    Rung(
        "deepcache",
        "DeepCache (lossy)",
        "reuses the UNet's deep features between steps (cache interval 3)",
        lossy=True,
        module="DeepCache",
        distribution="DeepCache",
    ),
    Rung(
        "fewer_steps",
        "fewer steps (lossy)",
        "DPM-Solver++ with fewer steps instead of the default sampler",
        lossy=True,
    ),
    Rung(
        "tiny_vae",
        "tiny VAE (lossy)",
        "AutoencoderTiny (TAESD) decodes the latents instead of the full VAE",
        lossy=True,
    ),
)
RUNG_BY_NAME = {rung.name: rung for rung in RUNGS}
RUNG_NAMES = tuple(RUNG_BY_NAME)
DEFAULT_RUNGS = tuple(r.name for r in RUNGS)
LOSSLESS_CHAIN = ("default", "channels_last", "fused_qkv", "compile", "max_autotune")
