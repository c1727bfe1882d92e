"""Reaching the Bot API at start, for as long as it takes.

A power cut that takes the office's line down reboots the server without
internet: the bot must start anyway. The monitor, the SOP clock and the
diagnoses resumed after a crash need no Telegram and run meanwhile; what they
say waits in the outbox. ``connect`` retries ``getMe`` (and, for polling,
``deleteWebhook``) with exponential backoff, says so in the log each time and
stores the state (``runtime_status``) for ``netmaint doctor``; a refused token
is not retried: no wait fixes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram.error import InvalidToken, NetworkError, RetryAfter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential

from bot.storage import Database
from bot.storage.status import REACHABLE, TELEGRAM, UNREACHABLE
from checks import redact
from handlers.context import App

log = logging.getLogger(__name__)
FIRST_WAIT_S = 1.0
MAX_WAIT_S = 60.0  # a line back after an outage is seen within a minute
T = TypeVar("T")


class Stopped(Exception):
    """The bot was told to stop before Telegram answered."""


def _retried(exc: BaseException) -> bool:
    """Telegram unreachable, slow, or asking us to wait; never a refused token."""
    return isinstance(exc, NetworkError | RetryAfter) and not isinstance(exc, InvalidToken)


def why(exc: BaseException | None) -> str:
    """The error, in a log line: its type and text, the token masked."""
    if exc is None:
        return "?"
    return redact.redact(f"{type(exc).__name__}: {exc}")[:300]


async def set_reachable(db: Database, reachable: bool, detail: str | None = None) -> None:
    """Store whether Telegram answers (``since`` moves only when that changes)."""
    async with db.write() as tx:
        await tx.status.put(TELEGRAM, REACHABLE if reachable else UNREACHABLE, detail)


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait between tries; tests pass short ones."""

    first_s: float = FIRST_WAIT_S
    max_s: float = MAX_WAIT_S


BACKOFF = Backoff()


async def reach(
    db: Database,
    stop: asyncio.Event,
    call: Callable[[], Awaitable[T]],
    backoff: Backoff = BACKOFF,
) -> T:
    """``call`` the Bot API until it answers; retry while Telegram cannot be reached, with
    exponential backoff, logged each time and stored for ``doctor``. Raises ``Stopped`` if
    ``stop`` is set first, and a refused token (or any other refusal) at once."""

    async def wait(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
            raise Stopped

    async def told(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "cannot reach the Bot API at TELEGRAM_API_BASE_URL (%s); trying again in %.1f s"
            " (try %d). The bot keeps running: monitoring and the SOP clock go on, messages"
            " wait in the outbox and are sent once Telegram answers",
            why(exc),
            seconds,
            state.attempt_number,
        )
        if state.attempt_number == 1:
            await set_reachable(db, False, why(exc))

    async def attempt() -> T:  # a coroutine function: tenacity awaits what it returns
        return await call()

    if stop.is_set():
        raise Stopped
    result: T = await AsyncRetrying(
        retry=retry_if_exception(_retried),
        wait=wait_exponential(multiplier=backoff.first_s, max=backoff.max_s),
        sleep=wait,
        before_sleep=told,
        reraise=True,
    )(attempt)
    return result


async def connect(
    app: App, db: Database, stop: asyncio.Event, *, polling: bool, backoff: Backoff = BACKOFF
) -> None:
    """Initialise the Application (``getMe``, which also checks the token) and, when
    polling, drop any webhook, however long Telegram takes to answer; then store that it
    answers."""
    await reach(db, stop, app.initialize, backoff)
    if polling:
        await reach(db, stop, lambda: app.bot.delete_webhook(drop_pending_updates=False), backoff)
    before = await db.reads.status.get(TELEGRAM)
    if before is not None and before.value == UNREACHABLE:
        log.info("the Bot API answers again; what waited in the outbox is sent now")
    await set_reachable(db, True)
