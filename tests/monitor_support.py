"""A service the test switches on and off (a loopback TCP port), and a clock it moves."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Switch:
    """A TCP listener on a fixed loopback port: ``on()`` accepts, ``off()`` refuses."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: asyncio.Server | None = None

    async def on(self) -> None:
        if self._server is None:

            async def accept(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                w.close()

            self._server = await asyncio.start_server(
                accept, "127.0.0.1", self.port, reuse_address=True
            )

    async def off(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


class Clock:
    """The injected clock: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Jakarta

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)
