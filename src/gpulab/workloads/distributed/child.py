"""The torchrun process the notebook owns: its own session (process group), output drained
line by line, stopped as a group by `stop()`, when the object is dropped (a re-run cell replaces
it) and at interpreter exit. No rank outlives the notebook.
"""

from __future__ import annotations

import atexit
import collections
import os
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Sequence

_RUNNING: set[int] = set()  # group ids of launches not yet stopped


def group_members(pgid: int) -> list[int]:
    """Pids of the live (non-zombie) processes in group `pgid`, read from /proc."""
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
        with _ignore_gone():
            os.killpg(pgid, sig)
        deadline = time.monotonic() + grace_s
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not group_members(pgid):
            break
    _RUNNING.discard(pgid)


class _ignore_gone:  # noqa: N801 - a tiny context manager
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return exc_type is ProcessLookupError or exc_type is PermissionError


@atexit.register
def _stop_running() -> None:
    for pgid in list(_RUNNING):
        stop_group(pgid, grace_s=2.0)


class Launch:
    """One command in a new session; merged stdout/stderr kept (last `keep` lines) and handed
    to `on_line` as it arrives."""

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
            start_new_session=True,  # pgid == pid: the whole launch is killed as one
        )
        self.pgid = self.proc.pid
        _RUNNING.add(self.pgid)
        self._on_line = on_line
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self._finalizer = weakref.finalize(self, stop_group, self.pgid)

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.rstrip("\n")
            self.lines.append(line)
            if self._on_line is not None:
                self._on_line(line)

    def poll(self) -> int | None:
        return self.proc.poll()

    def finish(self) -> int:
        """Wait for the output to end, then make sure nothing of the group is left."""
        code = self.proc.wait()
        self._reader.join(timeout=5)
        self.stop()
        return code

    def stop(self) -> None:
        """Stop the whole group (idempotent)."""
        self._finalizer()
        self.proc.poll()
