"""Stable Diffusion 1.5's three networks, written as configs, and a tiny set of the same classes.

The values are those of SD 1.5's published `config.json` files (UNet, VAE, CLIP ViT-L/14 text
encoder), so a pipeline built from them has SD 1.5's layers, shapes and cost: 859.5 M UNet, 83.7 M
VAE and 123.1 M text-encoder parameters. With random weights it measures speed only; its images
are noise. The tiny configs keep every class and code path (cross-attention, down/up blocks, VAE
with four levels, a CLIP text encoder on the real 49,408-token vocabulary) at CPU-test size.
"""

from __future__ import annotations

from typing import Any

SD15 = "sd15"
TINY = "tiny"
ARCHITECTURES = (SD15, TINY)

# Parameter counts of SD 1.5's networks, in millions (what `count_parameters` must reproduce).
SD15_PARAMS_M = {"unet": 859.5, "vae": 83.7, "text_encoder": 123.1}

_SD15_UNET: dict[str, Any] = {
    "sample_size": 64,
    "in_channels": 4,
    "out_channels": 4,
    "layers_per_block": 2,
    "block_out_channels": (320, 640, 1280, 1280),
    "down_block_types": ("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    "up_block_types": ("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
    "norm_num_groups": 32,
    "act_fn": "silu",
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "downsample_padding": 1,
}
_SD15_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": 512,
    "act_fn": "silu",
    "scaling_factor": 0.18215,
}
_SD15_TEXT: dict[str, Any] = {
    "vocab_size": 49408,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
    "projection_dim": 768,
}
# SD 1.5's training noise schedule (every scheduler starts from it; DDIM adds clip_sample=False).
SCHEDULE: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "steps_offset": 1,
    "set_alpha_to_one": False,
}

_TINY_UNET = _SD15_UNET | {
    "sample_size": 8,
    "layers_per_block": 1,
    "block_out_channels": (32, 64),
    "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
    "cross_attention_dim": 32,
    "attention_head_dim": 4,
}
_TINY_VAE = _SD15_VAE | {
    "block_out_channels": (8, 16, 16, 16),
    "layers_per_block": 1,
    "norm_num_groups": 8,
    "sample_size": 64,
}
_TINY_TEXT = _SD15_TEXT | {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "projection_dim": 32,
}
CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    SD15: {"unet": _SD15_UNET, "vae": _SD15_VAE, "text_encoder": _SD15_TEXT},
    TINY: {"unet": _TINY_UNET, "vae": _TINY_VAE, "text_encoder": _TINY_TEXT},
}


def build_networks(architecture: str, device: Any = "cpu") -> dict[str, Any]:
    """The UNet, VAE and text encoder of `architecture`, random weights, built on `device`.

    Building under `torch.device(device)` allocates the weights there directly: on "meta" nothing
    is allocated (for counting), on "cuda" the 1.07 B parameters never pass through host memory.
    """
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    configs = CONFIGS[architecture]
    with torch.device(device):
        return {
            "unet": UNet2DConditionModel(**configs["unet"]),
            "vae": AutoencoderKL(**configs["vae"]),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**configs["text_encoder"])),
        }


def count_parameters(architecture: str) -> dict[str, float]:
    """Parameters of each network in millions, counted on the meta device (no memory used)."""
    networks = build_networks(architecture, device="meta")
    return {name: sum(p.numel() for p in net.parameters()) / 1e6 for name, net in networks.items()}
