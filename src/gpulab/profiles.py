"""Run profiles: the one place that says what `smoke` and `full` mean and how a notebook gets one.

- `smoke`: tiny sizes through the same code path, seconds on a CPU. CI, the browser test and
  `gpulab test` run it; its numbers prove logic, never speed.
- `full`: the sizes a GPU user wants to see (what the notebook's text talks about).

A notebook reads its profile from its command-line arguments (`-- --profile=smoke`, or the common
bare `--smoke`), else from `$GPULAB_PROFILE`, else from the default it was given. Every workload
owns a config with `for_profile(name)`; notebooks, benchmarks and the runner call that and nothing
else. Where a benchmark measures other sizes than its notebook, its config says so in a
`bench_for_profile(name)` beside `for_profile`, and the bench JSON records the config it ran.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

from gpulab import memory_budget
from gpulab.errors import UsageError

SMOKE = "smoke"
FULL = "full"
MEANINGS: dict[str, str] = {
    SMOKE: "tiny sizes through the same code path: seconds on a CPU (CI, the browser test)",
    FULL: "the sizes the notebook is about, for a GPU",
}
NAMES: tuple[str, ...] = tuple(MEANINGS)
ENV_VAR = "GPULAB_PROFILE"

# The notebook arguments a headless run passes (read back by `read_profile` via mo.cli_args()).
# Third-party notebooks commonly test `"smoke" in mo.cli_args()`, so smoke passes both forms.
NOTEBOOK_ARGS: dict[str, tuple[str, ...]] = {
    SMOKE: ("--profile=smoke", "--smoke=true"),
    FULL: ("--profile=full",),
}


def check(name: str) -> str:
    """`name` as a known profile name, or a one-line UsageError naming the choices."""
    normalised = str(name).strip().lower()
    if normalised not in MEANINGS:
        raise UsageError(f"unknown profile {name!r} (choose from {', '.join(NAMES)})")
    return normalised


class ProfileConfig(Protocol):
    """What every workload config offers: its sizes for a named profile."""

    @classmethod
    def for_profile(cls, profile: str) -> Self: ...


@dataclass(frozen=True)
class Profile:
    """The profile a notebook runs under, with the notebook arguments it was started with."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    source: str = "default"  # where the name came from: "notebook args", ENV_VAR or "default"
    interactive: bool = False  # a browser is attached (marimo edit / run): buttons can be pressed
    memory_budget: int | None = None  # bytes this process may use on the GPU (gpulab.memory_budget)

    @property
    def smoke(self) -> bool:
        return self.name == SMOKE

    @property
    def autorun(self) -> bool:
        """Run gated cells without a button press: any profile named in the notebook's arguments
        (`gpulab test --profile full` must execute the full workload headless), and smoke where no
        browser can press a button (a script, pytest). A notebook served to a browser waits for
        its buttons whatever its profile: `gpulab serve` picks smoke sizes, not an automatic run."""
        return (
            "profile" in self.args or "smoke" in self.args or (self.smoke and not self.interactive)
        )

    @property
    def background(self) -> bool:
        """Long work may run in a background thread that the page polls: a browser is attached
        and no profile was named in the arguments. `marimo export session` (and so `gpulab test`)
        reports the same app mode as a browser, but names its profile and ends when the cells
        return, so there the work runs in the cell and finishes."""
        return self.interactive and not self.autorun

    def pick(self, smoke: Any, full: Any) -> Any:
        """The smoke or the full value of a setting: `profile.pick(64, 8192)`."""
        return smoke if self.smoke else full

    def describe(self) -> str:
        """One line for a notebook's header: the profile, what it means, where it came from."""
        line = f"Profile **{self.name}** ({MEANINGS[self.name]}; from {self.source})"
        if self.memory_budget:
            line += f", GPU memory budget **{self.memory_budget / 2**30:.1f} GiB**"
        return line


def default_for_this_machine() -> str:
    """`full` where torch sees a CUDA GPU, otherwise `smoke` (GPU sizes take hours on a CPU)."""
    try:
        import torch
    except ImportError:
        return SMOKE
    return FULL if torch.cuda.is_available() else SMOKE


def _notebook_args() -> dict[str, Any]:
    import marimo as mo

    if mo.app_meta().mode == "test":  # pytest calling cells: there are no CLI args
        return {}
    try:
        return dict(mo.cli_args())
    except Exception:  # not inside a marimo runtime
        return {}


def read_profile(default: str = FULL) -> Profile:
    """The profile from notebook args, else $GPULAB_PROFILE, else `default` (smoke under pytest)."""
    import marimo as mo

    args = _notebook_args()
    name, source = args.get("profile"), "notebook args"
    if not name and "smoke" in args:  # a bare `--smoke` parses to ''
        name = SMOKE
    if not name:
        name, source = os.environ.get(ENV_VAR), f"${ENV_VAR}"
    if not name:
        name, source = default, "default"
        if mo.app_meta().mode == "test":
            name, source = SMOKE, "pytest"
    interactive = mo.app_meta().mode in ("edit", "run")
    try:
        budget = memory_budget.apply(memory_budget.requested(args))
        return Profile(
            name=check(name),
            args=args,
            source=source,
            interactive=interactive,
            memory_budget=budget.bytes if budget else None,
        )
    except UsageError as err:
        raise ValueError(str(err)) from None
