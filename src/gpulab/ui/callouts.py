"""Callouts for the situations every GPU notebook meets: no GPU, OOM, a missing library."""

from __future__ import annotations

from typing import Any

from gpulab.errors import MissingDependencyError
from gpulab.memory import GpuOutOfMemory

NO_GPU_MARK = "gpulab:no-gpu"


def no_gpu_callout(what: str = "This section") -> Any:
    import marimo as mo

    return mo.callout(
        mo.md(
            f"**Needs an NVIDIA GPU.** {what} runs CUDA work, and no CUDA GPU is visible to "
            "this Python (`torch.cuda.is_available()` is False). The CPU parts of this notebook "
            "still run. Run `gpulab doctor` in a terminal to see what was found."
            f"\n<!-- {NO_GPU_MARK} -->"
        ),
        kind="warn",
    )


def oom_callout(err: GpuOutOfMemory) -> Any:
    import marimo as mo

    tips = "\n".join(f"- {tip}" for tip in err.suggestions)
    return mo.callout(
        mo.md(
            f"**Out of GPU memory.** {err.summary()}.\n\n"
            "The failed step's memory has been released, so you can change the settings and run "
            f"again. Things to try:\n\n{tips}"
        ),
        kind="danger",
    )


def missing_dependency_callout(err: MissingDependencyError) -> Any:
    import marimo as mo

    purpose = f" for {err.purpose}" if err.purpose else ""
    return mo.callout(
        mo.md(
            f"**`{err.package}` is not installed**{purpose}. Install it in a terminal, then "
            f"restart this notebook's kernel:\n\n```bash\n{err.hint}\n```\n\n"
            "The rest of the notebook runs without it."
        ),
        kind="warn",
    )


def error_callout(title: str, err: BaseException | str) -> Any:
    """A failure shown as a result (bad config, failed rung) instead of a traceback."""
    import marimo as mo

    detail = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
    return mo.callout(mo.md(f"**{title}**\n\n```\n{detail}\n```"), kind="danger")
