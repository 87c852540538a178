"""NeRF with a multiresolution hash grid (Instant-NGP) against vanilla NeRF, on held-out views.

Read in this order: `config` (what runs), `cameras` and `scene` (posed views of a procedural
scene, rendered by our sphere tracer), `data` (that scene or a NeRF-synthetic folder; training
rays from training views only), `hashgrid` (the encoding; `hashgrid_triton`, its fused GPU
kernels), `models` (both fields), `render` (volume rendering), `occupancy` (empty-space
skipping), `methods` (a training step and a render per model), `training` (the timed loop and
its PSNR curve), `sizing`, `suite` (the run), and `display` (charts and images for the
notebook). Importing the package loads no torch.
"""

from __future__ import annotations

from gpulab.lazy_exports import lazy_getattr

from .choices import chosen_config
from .config import PROCEDURAL, NerfConfig
from .excerpt import source_of

_TORCH_BACKED: dict[str, tuple[str, ...]] = {
    "data": ("Dataset", "Views", "load"),
    "hashgrid": ("HashGrid", "level_resolutions", "spherical_harmonics"),
    "methods": ("Ours", "Vanilla"),
    "models": ("HashField", "VanillaField"),
    "render": ("composite", "transmittance"),
    "sizing": ("check_fits", "step_bytes"),
    "suite": ("NerfResult", "planned_work", "resolve_device", "run_nerf"),
    "training": ("Curve", "psnr", "train"),
    "display": ("curve_chart", "image_row", "orbit_strip", "summary_rows", "meaning_text"),
}
__getattr__ = lazy_getattr(__name__, globals(), _TORCH_BACKED)

__all__ = [
    "PROCEDURAL",
    "Curve",
    "Dataset",
    "HashField",
    "HashGrid",
    "NerfConfig",
    "NerfResult",
    "Ours",
    "Vanilla",
    "VanillaField",
    "Views",
    "check_fits",
    "chosen_config",
    "composite",
    "curve_chart",
    "image_row",
    "level_resolutions",
    "load",
    "meaning_text",
    "orbit_strip",
    "planned_work",
    "psnr",
    "resolve_device",
    "run_nerf",
    "source_of",
    "spherical_harmonics",
    "step_bytes",
    "summary_rows",
    "train",
    "transmittance",
]
