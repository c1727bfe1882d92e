"""Loopback ports for listeners the tests start (never anything off this machine)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now, on 127.0.0.1 or ::1."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """A port on 127.0.0.1 where a connect hangs until its timeout: a slow service.

    The listener never accepts and its queue (backlog 0) is already full with one
    connection, so Linux drops every further SYN and the caller's connect waits.
    """
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            yield port
