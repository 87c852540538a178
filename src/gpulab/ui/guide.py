"""The header block that tells a new user what opening the notebook did and what to press."""

from __future__ import annotations

import textwrap
from typing import Any

from gpulab.profiles import Profile


def run_guide(profile: Profile, buttons: str) -> Any:
    """Each run button with what it does (`buttons`: a Markdown list, one item per button,
    indented as the notebook writes it), and what the profile means for the figures; the
    profile itself is named by `gpu_card(system, profile)` just above."""
    import marimo as mo

    lines = [
        "The cheap cells ran when the notebook opened. Each expensive step waits for its button:",
        "",
        textwrap.dedent(buttons).strip("\n"),
    ]
    if profile.smoke:
        lines += [
            "",
            "Smoke sizes run the same code in seconds to show that it works; their timings say "
            "nothing about a GPU. On a GPU machine, `gpulab serve --profile full` opens the "
            "notebooks at their real sizes.",
        ]
    return mo.callout(mo.md("\n".join(lines)), kind="info")
