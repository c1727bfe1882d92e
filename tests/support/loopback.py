"""Loopback ports for listeners the tests start (never anything off this machine)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator, Iterator


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


_HOLDER = """
import resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, count = int(sys.argv[1]), int(sys.argv[2])
held = []
for _ in range(count):
    try:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        pass
print(len(held), flush=True)
sys.stdin.read()
"""


@contextlib.asynccontextmanager
async def idle_connections(port: int, count: int) -> AsyncIterator[int]:
    """``count`` connections to 127.0.0.1:``port`` that send nothing; yields how many connected.

    A child process holds them, under its own file limit, so a test can lower
    its own (the server's) limit to an office server's 1,024 meanwhile. Awaited,
    so the server in this process's loop accepts while the child connects.
    """
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HOLDER, str(port), str(count), stdin=PIPE, stdout=PIPE
    )
    try:
        assert holder.stdout is not None
        yield int((await holder.stdout.readline()) or 0)
    finally:
        holder.kill()
        await holder.wait()
