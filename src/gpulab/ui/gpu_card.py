"""The GPU status card at the top of every notebook: what you are running on, measured now."""

from __future__ import annotations

from typing import Any

from gpulab.device import SystemInfo, probe
from gpulab.profiles import Profile


def gpu_card(info: SystemInfo | None = None, profile: Profile | None = None) -> Any:
    """The GPUs (or their absence), the software versions, and the profile the notebook runs."""
    import marimo as mo

    info = info or probe()
    card = _devices(mo, info)
    if profile is None:
        return card
    return mo.vstack([card, mo.md(profile.describe()).style(font_size="0.9em")])


def _devices(mo: Any, info: SystemInfo) -> Any:
    versions = (
        f"torch {info.torch_version} (CUDA {info.torch_cuda_version or 'none'}) · "
        f"driver {info.driver_version or 'n/a'} · CUDA driver {info.cuda_driver_version or 'n/a'}"
    )
    if not info.has_gpu:
        return mo.callout(
            mo.md(f"**No NVIDIA GPU found** on {info.host}: CPU paths only.\n\n{versions}"),
            kind="warn",
        )
    stats = []
    for gpu in info.gpus:
        cc = ".".join(map(str, gpu.compute_capability)) if gpu.compute_capability else "?"
        free = f"{gpu.memory_free_mib / 1024:.1f} GiB free of " if gpu.memory_free_mib else ""
        stats.append(
            mo.stat(
                value=gpu.name.replace("NVIDIA ", ""),
                label=f"GPU {gpu.index}",
                caption=f"{free}{gpu.memory_total_mib / 1024:.1f} GiB · {gpu.architecture} sm_{cc.replace('.', '')}",
                bordered=True,
            )
        )
    return mo.vstack(
        [mo.hstack(stats, justify="start", wrap=True), mo.md(versions).style(font_size="0.85em")]
    )
