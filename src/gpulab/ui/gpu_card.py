"""The GPU status card at the top of every notebook: what you are running on, measured now."""

from __future__ import annotations

from typing import Any

from gpulab.device import SystemInfo, probe


def gpu_card(info: SystemInfo | None = None) -> Any:
    import marimo as mo

    info = info or probe()
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
