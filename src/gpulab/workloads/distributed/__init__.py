"""Distributed training: one GPT-style model trained single-device, with DDP and with FSDP2,
launched by torchrun as a process group the caller owns, at every world size the devices allow.

Read in this order: `config` (what runs, the batch split), `data` (bytes of real text), `model`
(the GPT), `strategies` (wrapping and the training step: the key idea), `train_script` (what
each rank runs), `launch` (the torchrun process it owns, a `gpulab.owned_process`), `suite` (every world size,
agreement and scaling), `display` (charts, tables, meaning). Importing the package loads no
torch: the torch-backed names are imported on first use.
"""

from __future__ import annotations

from gpulab.lazy_exports import lazy_getattr
from gpulab.owned_process import group_members, stop_group

from .config import (
    CPU_MAX_WORLD,
    DDP,
    FSDP2,
    LABELS,
    LOSS_TOLERANCE,
    PRECISIONS,
    SINGLE,
    STRATEGIES,
    BatchPlan,
    TrainConfig,
    plan_batch,
)
from .display import (
    agreement_table,
    loss_chart,
    meaning_lines,
    probe_table,
    scaling_table,
    throughput_chart,
    timing_table,
)

_TORCH_BACKED: dict[str, tuple[str, ...]] = {
    "launch": ("NO_MULTICAST", "RankFailed", "check_world", "child_env", "max_world", "run_world"),
    "model": ("Gpt", "lm_loss", "parameter_count"),
    "strategies": ("train_step", "wrap"),
    "suite": ("SuiteResult", "agreement", "common_batch", "planned_steps", "run_suite", "scaling"),
}
__getattr__ = lazy_getattr(__name__, globals(), _TORCH_BACKED)

__all__ = [
    "CPU_MAX_WORLD",
    "DDP",
    "FSDP2",
    "LABELS",
    "LOSS_TOLERANCE",
    "NO_MULTICAST",
    "PRECISIONS",
    "SINGLE",
    "STRATEGIES",
    "BatchPlan",
    "Gpt",
    "RankFailed",
    "SuiteResult",
    "TrainConfig",
    "agreement",
    "agreement_table",
    "check_world",
    "child_env",
    "common_batch",
    "group_members",
    "lm_loss",
    "loss_chart",
    "max_world",
    "meaning_lines",
    "parameter_count",
    "plan_batch",
    "planned_steps",
    "probe_table",
    "run_suite",
    "run_world",
    "scaling",
    "scaling_table",
    "stop_group",
    "throughput_chart",
    "timing_table",
    "train_step",
    "wrap",
]
