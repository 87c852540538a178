"""The server's port and start: a port in use is named before anything starts, a server that
dies while starting is named by its exception."""

from __future__ import annotations

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.serving import check_port_free
from gpulab.workloads.serving.process import free_port


def test_a_port_in_use_is_named() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        with pytest.raises(UsageError, match=f"port {port} on 127.0.0.1 is in use"):
            check_port_free(port)


def test_a_server_dying_before_ready_is_named_by_its_exception() -> None:
    import os
    import sys

    from gpulab.owned_process import OwnedProcess
    from gpulab.workloads.serving.process import wait_ready

    script = "import sys; print('loading'); raise ImportError('a library built for numpy 2')"
    child = OwnedProcess([sys.executable, "-c", script], dict(os.environ))
    url = f"http://127.0.0.1:{free_port()}/v2/health/ready"
    with pytest.raises(RuntimeError) as caught:
        wait_ready(url, child, timeout_s=30)
    first_line = str(caught.value).splitlines()[0]
    assert "exited with status 1" in first_line
    assert "ImportError: a library built for numpy 2" in first_line
