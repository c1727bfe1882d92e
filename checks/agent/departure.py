"""Notice a client that leaves before its answer, and stop working for it.

uvicorn does not cancel an application whose client has disconnected: it only
answers the next ``receive()`` with ``http.disconnect``. FastAPI never asks once
it has the body, so a diagnosis whose bot gave up (its timeout, a restart, a
dropped line) ran to its end and held one of the ``Guard``'s few slots all the
while: four such requests answered the next complaint's diagnosis "busy". A
``Departure`` watches ``receive()`` for the disconnect on the request's behalf
and cancels the work it was given, so the slot is free at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.types import Message, Receive, Send

T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected before its answer was complete."""


class Departure:
    """One request's watch on its client, started once the Guard has read the whole body."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._answered = False  # after the last byte of the answer, a disconnect is normal
        self._gone = asyncio.Event()
        self._watch = asyncio.ensure_future(self._wait_for_disconnect())

    async def _wait_for_disconnect(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass  # a body past the one the Guard read: there is none to read
        if not self._answered:
            self._gone.set()

    async def finish(self, work: Awaitable[T]) -> T:
        """``work``'s result; if the client leaves first, ``work`` is cancelled: ``ClientGone``."""
        task = asyncio.ensure_future(work)
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the server is stopping: stop the work with it
            task.cancel()
            raise
        finally:
            gone.cancel()
        if task.done():
            return task.result()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
        raise ClientGone

    def replay(self, body: bytes) -> Receive:
        """The app's ``receive``: the body the Guard read, then a disconnect when there is one."""
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self._gone.wait()
            return {"type": "http.disconnect"}

        return receive

    def through(self, send: Send) -> Send:
        """The app's ``send``: notes the answer's last message, after which leaving is normal."""

        async def tracked(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._answered = True
            await send(message)

        return tracked

    def close(self) -> None:
        self._watch.cancel()
