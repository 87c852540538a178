"""The header block that tells a new user what opening the notebook did and what to press."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gpulab.profiles import Profile


def run_guide(profile: Profile, buttons: Sequence[tuple[str, str]]) -> Any:
    """Each run button with what it does (label, what it does), and what the profile means for
    the figures; the profile itself is named by `gpu_card(system, profile)` just above."""
    import marimo as mo

    lines = [
        "The cheap cells ran when the notebook opened. Each expensive step waits for its button:",
        "",
        *(f"- **{label}**: {what}" for label, what in buttons),
    ]
    if profile.smoke:
        lines += [
            "",
            "Smoke sizes run the same code in seconds to show that it works; their timings say "
            "nothing about a GPU. On a GPU machine, `gpulab serve --profile full` opens the "
            "notebooks at their real sizes.",
        ]
    return mo.callout(mo.md("\n".join(lines)), kind="info")
