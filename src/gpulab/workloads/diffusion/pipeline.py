"""A diffusers text-to-image pipeline: SD 1.5's architecture with random weights, or real weights.

Random weights (model "sd15" or "tiny") build `StableDiffusionPipeline` from the configs in
`architecture` and the shipped CLIP tokenizer: nothing is downloaded. Any other model name goes
to `DiffusionPipeline.from_pretrained` (a hub id, or a local folder holding `model_index.json`),
so SD 2.x, SDXL and SD 3 run where their weights are at hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gpulab.errors import MissingDependencyError, UsageError

from .architecture import ARCHITECTURES, SCHEDULE, build_networks
from .config import SCHEDULERS, DiffusionConfig
from .tokens import clip_tokenizer

INSTALL = "pip install 'gpulab[diffusion]'"


def require_diffusers() -> Any:
    """Import diffusers or raise MissingDependencyError with the install command."""
    try:
        import diffusers
    except ImportError as err:
        raise MissingDependencyError("diffusers", INSTALL, "the diffusion pipeline") from err
    return diffusers


def resolve_device(device: str | None) -> str:
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"device {device!r} asked for, but torch sees no CUDA GPU; use 'cpu'")
    return device


def pipeline_dtype(device: str) -> Any:
    """fp16 on a GPU (diffusers' usual setting), fp32 on a CPU (fp16 convolutions there crawl)."""
    import torch

    return torch.float16 if device.startswith("cuda") else torch.float32


def build_pipeline(config: DiffusionConfig, device: str) -> Any:
    """The pipeline for `config.model` on `device`, in `pipeline_dtype(device)`, progress bar off."""
    require_diffusers()
    if config.model in ARCHITECTURES:
        pipe = _random_pipeline(config.model, device)
    else:
        pipe = _pretrained(config.model, device)
    pipe.set_progress_bar_config(disable=True)
    set_scheduler(pipe, config.scheduler)
    return pipe


def _random_pipeline(architecture: str, device: str) -> Any:
    from diffusers import PNDMScheduler, StableDiffusionPipeline

    from gpulab.repro import seed_everything

    seed_everything(0)  # the same random weights every run: images comparable across runs
    networks = build_networks(architecture, device=device)
    pipe = StableDiffusionPipeline(
        **networks,
        tokenizer=clip_tokenizer(),
        scheduler=PNDMScheduler(**SCHEDULE, skip_prk_steps=True),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return pipe.to(device, pipeline_dtype(device))


def _pretrained(model: str, device: str) -> Any:
    from diffusers import DiffusionPipeline

    local = Path(model).expanduser()
    if local.exists() and not (local / "model_index.json").exists():
        raise UsageError(f"{local} is a folder without model_index.json: not a diffusers pipeline")
    try:
        pipe = DiffusionPipeline.from_pretrained(
            str(local) if local.exists() else model, torch_dtype=pipeline_dtype(device)
        )
    except (OSError, ValueError) as err:
        raise UsageError(
            f"cannot load {model!r}: {str(err).splitlines()[0][:200]}. Offline, give a local "
            "folder holding a diffusers pipeline (model_index.json with unet/, vae/, "
            "text_encoder/, tokenizer/, scheduler/: e.g. one saved by "
            "`pipe.save_pretrained(folder)`), or 'sd15' for SD 1.5's architecture with random "
            "weights"
        ) from err
    return pipe.to(device)


def set_scheduler(pipe: Any, name: str) -> None:
    """Swap the sampler, keeping the model's noise schedule (betas, offsets, prediction type)."""
    import diffusers

    cls = getattr(diffusers, SCHEDULERS[name])
    extra = {"dpm++": {"algorithm_type": "dpmsolver++"}, "ddim": {"clip_sample": False}}
    extra = extra.get(name, {})
    pipe.scheduler = cls.from_config(pipe.scheduler.config, **extra)


@contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """torch's intra-op CPU threads set to `count` for the block, then put back."""
    import torch

    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
