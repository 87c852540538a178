"""A child process a notebook owns: its own session, output drained, stopped as a whole group.

A torchrun launch or a Triton server must never outlive the notebook that started it. An
`OwnedProcess` runs in a new session (its pid is its process-group id), so stopping it signals
every process it spawned; it is stopped by `stop()`, by a weakref finalizer when the object is
dropped (a re-run cell replaces it) and by an atexit hook when the kernel exits. Its merged
stdout/stderr is read by a thread (a full pipe would block the child), kept as the last `keep`
lines and handed to `on_line` as it arrives.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import os
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from gpulab.errors import UsageError

_RUNNING: set[int] = set()  # process-group ids of children not yet stopped


def group_members(pgid: int) -> list[int]:
    """Pids of the live (non-zombie) processes in group `pgid`, read from /proc (Linux)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, _parent, group = stat.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state != "Z":
            members.append(int(entry))
    return members


def stop_group(pgid: int, grace_s: float = 5.0) -> None:
    """SIGTERM every process of the group, then SIGKILL whatever is left after `grace_s`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            break
        deadline = time.monotonic() + grace_s
        while group_members(pgid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):  # reap our own leader: not a member
                os.waitpid(pgid, os.WNOHANG)
            time.sleep(0.05)
        if not group_members(pgid):
            break
    _RUNNING.discard(pgid)


@atexit.register
def _stop_running() -> None:
    for pgid in list(_RUNNING):
        stop_group(pgid, grace_s=2.0)


def _drain(stream: Any, lines: collections.deque[str], on_line: Any) -> None:
    for raw in stream:
        line = raw.rstrip("\n")
        lines.append(line)
        if on_line is not None:
            on_line(line)


class OwnedProcess:
    """`command` in a new session with `env`; see the module docstring."""

    def __init__(
        self,
        command: Sequence[str],
        env: dict[str, str],
        on_line: Callable[[str], None] | None = None,
        keep: int = 500,
    ) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=keep)
        self.proc = subprocess.Popen(
            list(command),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # pid == pgid: the whole tree is stopped as one
        )
        self.pid = self.pgid = self.proc.pid
        _RUNNING.add(self.pgid)
        # The drain thread holds no reference to self, so dropping the object runs its finalizer.
        self._reader = threading.Thread(
            target=_drain,
            args=(self.proc.stdout, self.lines, on_line),
            daemon=True,
            name=f"drain-{self.pid}",
        )
        self._reader.start()
        self._finalizer = weakref.finalize(self, stop_group, self.pgid)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def poll(self) -> int | None:
        return self.proc.poll()

    def finish(self) -> int:
        """Wait for the output to end, then make sure nothing of the group is left."""
        code = self.proc.wait()
        self._reader.join(timeout=5)
        self.stop()
        return code

    def wait(self, timeout: float) -> int:
        """The exit status; the group is stopped and a UsageError raised past `timeout`."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise UsageError(
                f"a child ran past its {timeout:.0f} s limit and was stopped"
            ) from None
        return self.finish()

    def stop(self) -> None:
        """Stop the whole group and wait for the leader (idempotent)."""
        self._finalizer()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=15)

    def kill(self) -> None:
        """SIGKILL the whole group at once, as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)

    def tail(self, lines: int = 12) -> str:
        return "\n".join(list(self.lines)[-lines:])
