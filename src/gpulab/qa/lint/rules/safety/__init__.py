"""GL3xx: safety: what harms the machine or hangs it, or works only on one machine."""

from __future__ import annotations

from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules.safety.absolute_path import AbsolutePath
from gpulab.qa.lint.rules.safety.kill_by_name import KillByName
from gpulab.qa.lint.rules.safety.shell_install import ShellInstall
from gpulab.qa.lint.rules.safety.unread_pipe import UnreadPipe

RULES: dict[str, type[Rule]] = {
    "GL301": ShellInstall,
    "GL302": KillByName,
    "GL303": UnreadPipe,
    "GL304": AbsolutePath,
}
