"""The server's port and readiness. Server and client run as `gpulab.owned_process` children
(own process group, output drained, stopped with the group, never outliving the notebook);
readiness is Triton's own health endpoint per model.
"""

from __future__ import annotations

import socket
import time
import urllib.request

from gpulab.errors import UsageError
from gpulab.owned_process import OwnedProcess


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_port_free(port: int) -> None:
    """A UsageError naming the port when something already listens on it."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as err:
            raise UsageError(
                f"port {port} on 127.0.0.1 is in use ({err.strerror}): stop what listens there "
                "or choose another port (0 picks a free one)"
            ) from None


def wait_ready(url: str, child: OwnedProcess, timeout_s: float) -> float:
    """Seconds until GET `url` answers 200; raises with the child's log if it dies or times out."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if not child.alive:
            tail = child.tail()
            raise RuntimeError(
                f"the server exited with status {child.proc.returncode} before it was ready "
                f"({_last_line(tail)}):\n{tail}"
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    child.stop()
    raise RuntimeError(f"the server was not ready within {timeout_s:.0f} s:\n" + child.tail())


def _last_line(log: str) -> str:
    """A child's last non-empty output line: for a Python traceback, the exception itself."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"
