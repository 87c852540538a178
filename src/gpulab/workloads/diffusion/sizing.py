"""Which memory savers a generation needs, chosen from free GPU memory, before it runs.

An estimate, from SD 1.5's shape at fp16: the weights, plus activations that grow with the
pixels per image. The UNet runs the batch twice (classifier-free guidance); the VAE decoder's
full-resolution activations are the largest single peak, which VAE slicing (one image at a time)
and tiling (tiles of 512 x 512) bound. CPU offload keeps only the running network on the GPU.
The run's measured peak memory is shown beside it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GIB = 2**30
REFERENCE_PIXELS = 512 * 512
# Activation peaks per image at 512 x 512 in fp16 (SDPA attention), scaled by pixels.
UNET_BYTES_PER_IMAGE = 0.45 * GIB  # per UNet sample; guidance doubles the samples
VAE_BYTES_PER_IMAGE = 2.6 * GIB  # the decoder's full-resolution blocks
ATTENTION_SLICED_FACTOR = 0.6  # attention slicing trims the UNet's peak
HEADROOM = 0.9  # leave a tenth for the allocator's fragmentation and the CUDA context
WEIGHT_BYTES_SD15 = 2 * 1.067e9  # fp16 UNet + VAE + text encoder
LARGEST_NETWORK_SD15 = 2 * 0.86e9  # the UNet: what offload keeps on the GPU


@dataclass(frozen=True)
class MemoryPlan:
    savers: tuple[str, ...]
    estimate_bytes: float
    free_bytes: float
    fits: bool
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        savers = ", ".join(self.savers) if self.savers else "none needed"
        text = (
            f"estimated peak {self.estimate_bytes / GIB:.1f} GiB of "
            f"{self.free_bytes / GIB:.1f} GiB free; memory savers: {savers}"
        )
        return text if self.fits else text + ". " + " ".join(self.notes)


def _estimate(batch: int, pixels: int, savers: tuple[str, ...], weights: float) -> float:
    scale = pixels / REFERENCE_PIXELS
    unet = UNET_BYTES_PER_IMAGE * 2 * batch * scale
    if "attention_slicing" in savers:
        unet *= ATTENTION_SLICED_FACTOR
    decoded = 1 if "vae_slicing" in savers else batch
    vae_scale = min(scale, 1.0) if "vae_tiling" in savers else scale
    vae = VAE_BYTES_PER_IMAGE * decoded * vae_scale
    resident = LARGEST_NETWORK_SD15 if "cpu_offload" in savers else weights
    return resident + max(unet, vae)


LADDER = (
    (),
    ("vae_slicing",),
    ("vae_slicing", "vae_tiling"),
    ("vae_slicing", "vae_tiling", "attention_slicing"),
    ("vae_slicing", "vae_tiling", "attention_slicing", "cpu_offload"),
)


def plan_memory(
    batch: int, height: int, width: int, free_bytes: float, weights: float = WEIGHT_BYTES_SD15
) -> MemoryPlan:
    """The fewest savers whose estimate fits `free_bytes` (with headroom), or fits=False."""
    pixels = height * width
    usable = free_bytes * HEADROOM
    for savers in LADDER:
        need = _estimate(batch, pixels, savers, weights)
        if need <= usable:
            return MemoryPlan(savers, need, free_bytes, True)
    per_image = _estimate(1, pixels, LADDER[-1], weights)
    largest = 0
    while largest < batch and _estimate(largest + 1, pixels, LADDER[-1], weights) <= usable:
        largest += 1
    advice = (
        f"Lower the batch to {largest} or fewer, or the size."
        if largest
        else f"Even one image needs about {per_image / GIB:.1f} GiB: lower the size."
    )
    return MemoryPlan(LADDER[-1], need, free_bytes, False, [f"Batch {batch} does not fit.", advice])


def apply_savers(pipe: object, savers: tuple[str, ...]) -> None:
    """Switch on the savers a plan chose (each is a diffusers pipeline method)."""
    if "vae_slicing" in savers:
        pipe.vae.enable_slicing()
    if "vae_tiling" in savers:
        pipe.vae.enable_tiling()
    if "attention_slicing" in savers:
        pipe.enable_attention_slicing()
    if "cpu_offload" in savers:
        pipe.enable_model_cpu_offload()
