"""Which profile a notebook runs: `smoke` (tiny sizes, seconds on CPU, CI) or `full` (GPU sizes).

Headless runs pass it as notebook arguments (`-- --profile=smoke`, or the common `--smoke`);
`mo.cli_args()` raises when cells run under pytest, so that case is detected first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

PROFILES = ("smoke", "full")


@dataclass(frozen=True)
class Profile:
    name: str
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def smoke(self) -> bool:
        return self.name == "smoke"

    @property
    def autorun(self) -> bool:
        """Run gated cells without a button press: smoke runs, and any profile named explicitly on
        the command line (`gpulab test --profile full` must execute the full workload headless)."""
        return self.smoke or "profile" in self.args

    def pick(self, smoke: Any, full: Any) -> Any:
        """The smoke or the full value of a setting: `profile.pick(64, 8192)`."""
        return smoke if self.smoke else full


def _cli_args() -> dict[str, Any]:
    import marimo as mo

    if mo.app_meta().mode == "test":  # pytest calling cells: there are no CLI args
        return {}
    try:
        return dict(mo.cli_args())
    except Exception:  # not inside a marimo runtime
        return {}


def read_profile(default: str = "full") -> Profile:
    """The profile from notebook args, else $GPULAB_PROFILE, else `default` ('smoke' under pytest)."""
    args = _cli_args()
    name = args.get("profile")
    if not name and "smoke" in args:  # a bare `--smoke` parses to ''
        name = "smoke"
    if not name:
        name = os.environ.get("GPULAB_PROFILE") or default
        import marimo as mo

        if mo.app_meta().mode == "test" and "GPULAB_PROFILE" not in os.environ:
            name = "smoke"
    name = str(name).lower()
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    return Profile(name=name, args=args)
