"""The sender: delivers committed outbox rows to Telegram, in order per chat and priority.

Per chat one row is eligible: the pending one with the lowest (priority, id)
(``bot.delivery.queue``: urgent, normal, background), so within a priority a
chat never sees its messages out of order, and a decision prompt is not queued
behind progress edits. An edit waits until the message it edits has been sent.
Rows that will never go out (an edit superseded by a newer one, an edit of a
message that failed, a row for a chat that blocked the bot) are marked before
any flood token is booked (``OutboxWrites.settle``): only a real call to
Telegram costs a token. Different chats are served by their own in-flight
tasks, so a slow or failing chat never holds up the others. Every send waits
for the flood limiter (about 1/s per chat, 20/min per group, 30/s overall). A
429 postpones that chat's row, and the chat, by ``retry_after``; timeouts, 5xx and dropped
connections retry with exponential backoff; "message is not modified" counts
as delivered; a chat that blocked the bot (403) is marked unreachable, its
queue dropped, and the ADB told, once.

Retries live in the row (``not_before``, ``failures``), not in a loop in
memory, so they survive a restart and never block the other chats. The bot
retries a send on its own only when Telegram cannot have acted on it (a 429, a
5xx answer, a refused connection). A read timeout or a reset after the request
was written may have delivered it: that retry may duplicate the message, so
the attempt is counted in the row's ``ambiguous`` column
(``OutboxReads.possible_duplicates``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.delivery.pacer import Pacer, PacerLimits
from bot.delivery.queue import MessageQueue
from bot.domain.clock import Clock, utc_now
from bot.storage import Database, OutboxRow
from checks import redact

log = logging.getLogger(__name__)

# Opt in to python-telegram-bot's coming behaviour (durations as timedelta): without it
# PTB 22 emits a deprecation warning from inside its own RetryAfter constructor on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")

EDITS = ("editMessageText", "editMessageReplyMarkup")
# httpx errors raised before the request left this machine: Telegram cannot have seen it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whichever type this PTB version returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def may_have_arrived(exc: NetworkError) -> bool:
    """Whether Telegram may have acted on a request that failed with ``exc``.

    PTB raises ``NetworkError`` for a 5xx answer (no cause: Telegram answered and
    refused) and wraps httpx errors (the cause): only those raised before the
    request was written are certainly harmless to retry.
    """
    cause = exc.__cause__
    if cause is None:
        return False
    return not isinstance(cause, NOT_SENT)


def error_text(exc: Exception) -> str:
    """What a failed call stores in ``outbox.last_error``: short, and masked like a log line
    (an httpx error may carry the request URL, and the bot token is part of it)."""
    return redact.redact(str(exc) or type(exc).__name__)[:500]


@dataclass(frozen=True, slots=True)
class SenderOptions:
    """How the sender paces and retries; tests pass shorter ones.

    ``max_failures`` transient errors with the backoff capped at 5 min ride out an
    outage of about four hours; ``request_timeout_s`` None keeps PTB's timeouts.
    """

    limits: PacerLimits = field(default_factory=PacerLimits)
    backoff_base_s: float = 1.0
    backoff_max_s: float = 300.0
    max_failures: int = 50
    request_timeout_s: float | None = None
    idle_poll_s: float = 5.0


class Sender:
    """Runs as one task beside the update loop; the queue wakes it after committing rows."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        queue: MessageQueue,
        *,
        clock: Clock = utc_now,
        options: SenderOptions | None = None,
    ) -> None:
        opts = options or SenderOptions()
        self.db = db
        self.bot = bot
        self.queue = queue
        self.clock = clock
        self.limiter = Pacer(opts.limits, clock)
        self.backoff_base_s = opts.backoff_base_s
        self.backoff_max_s = opts.backoff_max_s
        self.max_failures = opts.max_failures
        self.idle_poll_s = opts.idle_poll_s
        timeout = opts.request_timeout_s
        self._timeouts: dict[str, Any] = (  # Any: PTB types each timeout keyword apart
            {}
            if timeout is None
            else {"read_timeout": timeout, "write_timeout": timeout, "connect_timeout": timeout}
        )
        self._rng = random.Random()  # noqa: S311 - backoff jitter, not a secret
        self._stopping = False
        self._inflight: dict[int, asyncio.Task[None]] = {}

    def stop(self) -> None:
        """Finish the sends in flight and what the limiter allows now, then leave ``run``.

        Cancelling a send between Telegram's answer and our commit could send it again
        after a restart, so a graceful stop never cancels a send; rows the limiter holds
        back are delivered after the restart.
        """
        self._stopping = True
        self.queue.wake()

    async def run(self) -> None:
        """Deliver until ``stop()``."""
        await self._pump(until_idle=False)

    async def drain(self) -> None:
        """Deliver every row that is due, pacing by the limiter; rows waiting for a
        ``retry_after`` or a backoff stay pending. Callers bound it with a timeout."""
        await self._pump(until_idle=True)

    async def _pump(self, *, until_idle: bool) -> None:
        try:
            while True:
                try:
                    started, held = await self._dispatch()
                except Exception:  # keep the sender alive; the rows stay pending
                    log.exception("outbox dispatch failed")
                    started, held = 0, None
                idle = not started and not self._inflight
                if idle and (self._stopping or (until_idle and held is None)):
                    return
                await self._sleep(held)
        finally:
            # Only a cancelled sender gets here with sends in flight: those rows keep
            # sending_at and are counted as ambiguous when the next process picks them up.
            tasks = list(self._inflight.values())
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _dispatch(self) -> tuple[int, float | None]:
        """Start a send for each chat whose head row is due and the limiter allows.

        Rows that will not be sent are settled first, without a token, so each chat's
        head is a row that will really be sent. Returns how many started and the
        shortest wait the limiter asked for.
        """
        async with self.db.write() as tx:
            await tx.outbox.settle()
        rows = await self.db.reads.outbox.due(self.clock())
        started, held = 0, None
        for row in rows:
            if row.chat_id in self._inflight:
                continue
            wait = self.limiter.reserve(row.chat_id)
            if wait > 0:
                held = wait if held is None else min(held, wait)
                if (overall := self.limiter.global_wait()) > 0:
                    held = min(held, overall)
                    break  # the overall budget is spent: no other chat can go either
                continue
            task = asyncio.create_task(self._deliver_task(row), name=f"outbox-{row.id}")
            self._inflight[row.chat_id] = task
            started += 1
        return started, held

    async def _deliver_task(self, row: OutboxRow) -> None:
        try:
            await self._deliver(row)
        except Exception:  # the row stays pending (sending_at set) and is tried again
            log.exception("delivering outbox row %s failed", row.id)
        finally:
            self.limiter.release(row.chat_id)  # answered: pacing counts from here
            self._inflight.pop(row.chat_id, None)
            self.queue.wake()

    async def _sleep(self, held: float | None) -> None:
        timeout = self.idle_poll_s if held is None else min(self.idle_poll_s, held)
        nxt = await self.db.reads.outbox.next_due()
        if nxt is not None:
            timeout = min(timeout, max(0.01, (nxt - self.clock()).total_seconds()))
        await self.queue.wait(max(0.005, timeout))

    async def _deliver(self, row: OutboxRow) -> None:
        # ``settle`` ran just before this row was picked; these checks catch what changed
        # in between (a newer edit committed, the chat blocked the bot meanwhile).
        if await self.db.reads.outbox.is_unreachable(row.chat_id):
            async with self.db.write() as tx:
                await tx.outbox.done(row.id, "unreachable", error="chat unreachable")
            return
        message_id_of_ref: int | None = None
        if row.method in EDITS and row.ref_outbox_id is not None:
            if await self.db.reads.outbox.has_newer_edit(row):
                async with self.db.write() as tx:
                    await tx.outbox.done(row.id, "superseded")
                return
            ref = await self.db.reads.outbox.row(row.ref_outbox_id)
            if ref is not None and ref.state == "pending":
                return  # its message is not sent yet: the edit waits (``due`` passes it over)
            if ref is None or ref.state != "sent" or ref.message_id is None:
                async with self.db.write() as tx:
                    await tx.outbox.done(row.id, "skipped", error="original message not sent")
                return
            message_id_of_ref = ref.message_id
        async with self.db.write() as tx:
            current = await tx.outbox.begin(row.id)
        if current is None:
            return  # settled meanwhile: nothing to send
        # What the row holds now: an edit folded into a send before ``begin`` goes out.
        payload = dict(current)
        if message_id_of_ref is not None:
            payload["message_id"] = message_id_of_ref
        try:
            message_id = await self._call(row, payload)
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            log.warning("flood limit on chat %s: retrying in %.1f s", row.chat_id, wait)
            self.limiter.hold(row.chat_id, wait)
            async with self.db.write() as tx:
                await tx.outbox.retry(row.id, tx.now + timedelta(seconds=wait), "429")
        except Forbidden as exc:
            await self._unreachable(row, error_text(exc))
        except BadRequest as exc:
            text = str(exc).lower()
            if "message is not modified" in text:
                await self._done(row, None)
            elif "chat not found" in text:
                await self._unreachable(row, error_text(exc))
            else:
                log.error("Telegram refused outbox row %s (%s): %s", row.id, row.method, exc)
                async with self.db.write() as tx:
                    await tx.outbox.done(row.id, "failed", error=error_text(exc))
        except NetworkError as exc:  # includes TimedOut
            await self._retry(row, exc)
        except TelegramError as exc:
            log.error("outbox row %s failed: %s", row.id, exc)
            async with self.db.write() as tx:
                await tx.outbox.done(row.id, "failed", error=error_text(exc))
        else:
            await self._done(row, message_id)

    async def _call(self, row: OutboxRow, p: dict[str, Any]) -> int | None:
        markup = (
            InlineKeyboardMarkup.de_json(p["reply_markup"], self.bot)
            if p.get("reply_markup")
            else None
        )
        if row.method == "sendMessage":
            reply = p.get("reply_parameters")
            msg = await self.bot.send_message(
                chat_id=row.chat_id,
                text=p["text"],
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                **self._timeouts,
                reply_parameters=ReplyParameters(**reply) if reply else None,
            )
            return msg.message_id
        if row.method == "editMessageText":
            await self.bot.edit_message_text(
                chat_id=row.chat_id,
                message_id=p["message_id"],
                text=p["text"],
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                **self._timeouts,
            )
            return None
        if row.method == "editMessageReplyMarkup":
            await self.bot.edit_message_reply_markup(
                chat_id=row.chat_id,
                message_id=p["message_id"],
                reply_markup=markup,
                **self._timeouts,
            )
            return None
        raise TelegramError(f"unsupported outbox method {row.method}")

    async def _done(self, row: OutboxRow, message_id: int | None) -> None:
        async with self.db.write() as tx:
            await tx.outbox.done(row.id, "sent", message_id=message_id)
            if row.method == "sendMessage" and self.queue.hooks is not None:
                await self.queue.hooks.delivered(tx, row)

    def backoff(self, failures: int) -> float:
        """Seconds before retry number ``failures + 1``: exponential, capped, jittered."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2.0 ** min(failures, 30))
        return self._rng.uniform(ceiling / 2, ceiling)

    async def _retry(self, row: OutboxRow, exc: NetworkError) -> None:
        error = error_text(exc)
        ambiguous = may_have_arrived(exc)
        async with self.db.write() as tx:
            if row.failures + 1 >= self.max_failures:
                log.error(
                    "giving up outbox row %s after %d failures: %s", row.id, row.failures + 1, error
                )
                await tx.outbox.gave_up(row.id, error, ambiguous=ambiguous)
                return
            delay = self.backoff(row.failures)
            log.warning(
                "%s on chat %s (%s); retry in %.1f s",
                "ambiguous failure" if ambiguous else "failure",
                row.chat_id,
                error,
                delay,
            )
            await tx.outbox.failed(
                row.id, tx.now + timedelta(seconds=delay), error, ambiguous=ambiguous
            )

    async def _unreachable(self, row: OutboxRow, reason: str) -> None:
        log.warning("chat %s cannot be reached: %s", row.chat_id, reason)
        async with self.db.write() as tx:
            await tx.outbox.done(row.id, "unreachable", error=reason)
            await tx.outbox.drop_chat(row.chat_id, "unreachable")
            await tx.outbox.mark_unreachable(row.chat_id, reason[:200])
            if self.queue.hooks is not None:
                await self.queue.hooks.unreachable(tx, row)
            await self.queue.unreachable(tx, row.chat_id, row.complaint_id)
        self.queue.wake()
