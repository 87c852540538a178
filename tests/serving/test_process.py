"""The server's port: one in use is named before anything starts."""

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
