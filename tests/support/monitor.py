"""A service the test switches on and off (a loopback TCP port)."""

from __future__ import annotations

import asyncio

from tests.support.loopback import free_port


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
