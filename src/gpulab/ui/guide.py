"""The header block that tells a new user what opening the notebook did and what to press."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gpulab.profiles import Profile


def run_guide(profile: Profile, buttons: Sequence[tuple[str, str]]) -> Any:
    """The active profile, and each run button with what it does (label, what it does)."""
    import marimo as mo

    lines = [
        f"{profile.describe()}.",
        "",
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
