"""An owned process dies with its whole process group: on stop, when the object is dropped, and
past its time limit; the group's members are read from /proc."""

from __future__ import annotations

import gc
import os
import sys
import time

import pytest

from gpulab.errors import UsageError
from gpulab.owned_process import OwnedProcess, group_members


def pid_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# A parent that starts a grandchild and prints its pid: both must go.
SCRIPT = (
    "import subprocess, sys, time; "
    "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "print(p.pid, flush=True); time.sleep(60)"
)


def _grandchild(child: OwnedProcess) -> int:
    deadline = time.monotonic() + 20
    while not child.lines and time.monotonic() < deadline:
        time.sleep(0.05)
    return int(child.lines[0])


def test_stop_kills_the_grandchild_too() -> None:
    child = OwnedProcess([sys.executable, "-c", SCRIPT], dict(os.environ))
    grandchild = _grandchild(child)
    assert pid_running(child.pid) and pid_running(grandchild)
    child.stop()
    time.sleep(0.2)
    assert not pid_running(child.pid) and not pid_running(grandchild)


def test_dropping_the_child_stops_it() -> None:
    child = OwnedProcess([sys.executable, "-c", SCRIPT], dict(os.environ))
    pid, grandchild = child.pid, _grandchild(child)
    del child
    gc.collect()
    time.sleep(0.3)
    assert not pid_running(pid) and not pid_running(grandchild)


def test_wait_past_its_limit_stops_the_child() -> None:
    child = OwnedProcess([sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))
    with pytest.raises(UsageError, match="past its 1 s limit"):
        child.wait(timeout=1)
    assert not pid_running(child.pid)


def test_group_members_lists_the_whole_tree_until_it_is_stopped() -> None:
    child = OwnedProcess([sys.executable, "-c", SCRIPT], dict(os.environ))
    grandchild = _grandchild(child)
    assert set(group_members(child.pgid)) == {child.pid, grandchild}
    child.stop()
    assert group_members(child.pgid) == []
