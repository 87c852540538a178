"""Text-to-image with Stable Diffusion: a diffusers pipeline and every speed-up measured and checked.

Read in this order: `architecture` (SD 1.5's UNet, VAE and CLIP text encoder as configs, and a
tiny set of the same classes), `tokens` (CLIP's BPE tokenizer from the shipped vocabulary),
`config` (what runs, per profile), `pipeline` (random weights or `from_pretrained`), `generate`
(one seeded call: the key idea), `gallery` (the notebook's generation), `sizing` (memory savers from free memory), `rungs` and
`rung_apply` (the ladder's catalogue and what each rung changes), `drift` (images against the
default's), `ladder` (the runner), `results`, and `views` (what the notebook shows).
`convert_bpe` made `assets/vocab.json` and `assets/merges.txt` from open_clip's BPE file.
Importing the package loads neither torch nor diffusers: every module imports them inside the
functions that need them.
"""

from __future__ import annotations

from .architecture import (
    ARCHITECTURES,
    CONFIGS,
    SD15,
    SD15_PARAMS_M,
    TINY,
    build_networks,
    count_parameters,
)
from .config import LATENT_FACTOR, SCHEDULER_LABELS, SCHEDULERS, DiffusionConfig
from .drift import LOSSLESS_PSNR_DB, Drift, compare_images
from .gallery import Generation, memory_plan, run_generation, to_png
from .generate import Settings, generate
from .ladder import measure_throughput, planned_work, run_ladder
from .pipeline import (
    build_pipeline,
    pipeline_dtype,
    require_diffusers,
    resolve_device,
    set_scheduler,
)
from .results import LadderResult, RungResult
from .rungs import DEFAULT_RUNGS, GPU_ONLY, RUNG_BY_NAME, RUNGS, UNVERIFIED, Rung
from .sizing import MemoryPlan, apply_savers, plan_memory
from .tokens import MAX_TOKENS, PromptLength, clip_tokenizer, prompt_length
from .views import chart_points, gallery_caption, headline, ladder_rows

__all__ = [
    "ARCHITECTURES",
    "CONFIGS",
    "DEFAULT_RUNGS",
    "DiffusionConfig",
    "Drift",
    "GPU_ONLY",
    "Generation",
    "LATENT_FACTOR",
    "LOSSLESS_PSNR_DB",
    "LadderResult",
    "MAX_TOKENS",
    "MemoryPlan",
    "PromptLength",
    "RUNGS",
    "RUNG_BY_NAME",
    "Rung",
    "RungResult",
    "SCHEDULERS",
    "SCHEDULER_LABELS",
    "SD15",
    "SD15_PARAMS_M",
    "Settings",
    "TINY",
    "UNVERIFIED",
    "apply_savers",
    "build_networks",
    "build_pipeline",
    "chart_points",
    "clip_tokenizer",
    "compare_images",
    "count_parameters",
    "gallery_caption",
    "generate",
    "headline",
    "ladder_rows",
    "measure_throughput",
    "memory_plan",
    "pipeline_dtype",
    "plan_memory",
    "planned_work",
    "prompt_length",
    "require_diffusers",
    "resolve_device",
    "run_generation",
    "run_ladder",
    "set_scheduler",
    "to_png",
]
