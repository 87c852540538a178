"""Run gates: expensive cells wait for a button, except in headless profile runs (CI, GPU tests).

`mo.ui.run_button().value` is False when no browser is attached, so a gate on the button alone
would mean no training or benchmark ever runs in a headless test.
"""

from __future__ import annotations

from typing import Any

from gpulab.profiles import Profile


def run_gate(
    button: Any,
    profile: Profile,
    what: str = "this step",
    label: str | None = None,
    problem: str | None = None,
) -> None:
    """Stop the calling cell until `button` is pressed; headless profile runs pass straight through.

    A `problem` (what is wrong with the settings) stops it with that text instead, pressed or not:
    nothing starts from a configuration that cannot run."""
    import marimo as mo

    mo.stop(bool(problem), mo.callout(mo.md(problem or ""), kind="danger"))
    label = label or _button_label(button)
    mo.stop(
        not (button.value or profile.autorun),
        mo.callout(mo.md(f"Press **{_plain(label)}** to start {what}."), kind="info"),
    )


def require_gpu(what: str = "This section", has_gpu: bool | None = None) -> None:
    """Stop the calling cell with a clear callout when no CUDA GPU is present."""
    import marimo as mo

    from gpulab.ui.callouts import no_gpu_callout

    if has_gpu is None:
        import torch

        has_gpu = torch.cuda.is_available()
    mo.stop(not has_gpu, no_gpu_callout(what))


def _button_label(button: Any) -> str:
    # marimo keeps the label only in its (private) constructor args; fall back to a generic name.
    return str(getattr(getattr(button, "_args", None), "label", "") or "run")


def _plain(label: str) -> str:
    # run_button labels may hold markdown/emoji; keep the text readable inside **...**
    return label.replace("*", "").strip() or "run"
