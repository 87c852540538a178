"""One generation: prompt -> images, seeded, with a progress report per denoising step.

This is what every rung of the ladder times: the whole `pipe(...)` call (text encoding, the
denoising loop with classifier-free guidance, the VAE decode), with the same seed, so a rung's
images can be compared with the default's pixel by pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpulab.progress import ProgressFn, no_progress

from .config import DiffusionConfig


@dataclass(frozen=True)
class Settings:
    """What one call generates: the config's prompt and sampler values (steps overridable)."""

    prompt: str
    negative_prompt: str
    steps: int
    guidance: float
    height: int
    width: int
    seed: int
    batch: int

    @classmethod
    def of(cls, config: DiffusionConfig, steps: int | None = None, batch: int | None = None):
        return cls(
            prompt=config.prompt,
            negative_prompt=config.negative_prompt,
            steps=config.steps if steps is None else steps,
            guidance=config.guidance,
            height=config.height,
            width=config.width,
            seed=config.seed,
            batch=config.batch if batch is None else batch,
        )


def generate(pipe: Any, settings: Settings, progress: ProgressFn = no_progress) -> Any:
    """Images as a float32 numpy array (batch, height, width, 3) in [0, 1].

    The generator is seeded on the pipeline's device for every call: the same settings give the
    same initial latents, so the same images.
    """
    import torch

    device = pipe.device
    generator = torch.Generator(device=device.type).manual_seed(settings.seed)

    def on_step(pipe_: Any, step: int, _timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        # PNDM runs one UNet call more than the steps asked for: report in the asked-for units
        calls = max(len(pipe_.scheduler.timesteps), 1)
        done = settings.steps * (step + 1) / calls
        progress(done, settings.steps, f"step {step + 1}/{calls}")
        return kwargs

    result = pipe(
        settings.prompt,
        negative_prompt=settings.negative_prompt or None,
        num_inference_steps=settings.steps,
        guidance_scale=settings.guidance,
        height=settings.height,
        width=settings.width,
        num_images_per_prompt=settings.batch,
        generator=generator,
        output_type="np",
        callback_on_step_end=on_step,
    )
    return result.images
