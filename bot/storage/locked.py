"""A database locked by another program: waited for and said in the log, not a crash.

SQLite waits ``busy_timeout`` for another program's lock (a backup, someone's
``sqlite3`` shell), then fails the write. What was to be written (a stored
update, a finished diagnosis) must not be lost for that: ``patiently`` runs the
whole write again, after a growing wait, until it goes through.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)
LOCKED_WAIT_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # waits between tries on a locked database
T = TypeVar("T")


class Stopped(Exception):
    """The bot is stopping while it waited for a locked database; the work stays undone."""


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "busy" after its busy timeout."""
    return isinstance(exc, sqlite3.OperationalError) and any(
        w in str(exc) for w in ("locked", "busy")
    )


async def patiently(
    what: str,
    write: Callable[[], Awaitable[T]],
    stop: asyncio.Event | None = None,
    give_up_after_s: float | None = None,
) -> T:
    """Run ``write``; while the database is locked by another program, log, wait, retry.

    Raises ``Stopped`` if ``stop`` is set while waiting: the update stays in Telegram's
    queue (not stored) or in the inbox (not marked), and is handled after the restart.
    After ``give_up_after_s`` of trying (None: never) the last "locked" error is raised.
    """
    tries = 0
    started = time.monotonic()
    while True:
        try:
            return await write()
        except sqlite3.OperationalError as exc:
            if not is_locked(exc):
                raise
            if give_up_after_s is not None and time.monotonic() - started >= give_up_after_s:
                log.error(
                    "the database stayed locked by another program for %.0f s while %s; "
                    "gave up (SQLite: %s)",
                    give_up_after_s,
                    what,
                    exc,
                )
                raise
            wait = LOCKED_WAIT_S[min(tries, len(LOCKED_WAIT_S) - 1)]
            tries += 1
            log.warning(
                "the database is locked by another program (SQLite: %s) while %s; "
                "waiting %.0f s and trying again (try %d). Close the other program "
                "(a backup, an sqlite3 shell) if this goes on",
                exc,
                what,
                wait,
                tries,
            )
        if stop is None:
            await asyncio.sleep(wait)
        else:
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except TimeoutError:
                continue
            raise Stopped(what)
