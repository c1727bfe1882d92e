"""The sender: delivers committed outbox rows to Telegram, in order per chat.

Only the oldest pending row of each chat is eligible, so a chat never sees
its messages out of order; different chats are served concurrently. A 429
waits ``retry_after``; network errors retry with backoff up to a limit;
"message is not modified" counts as delivered; a chat that blocked the bot
(403) is marked unreachable, its queue dropped, and the ADB told, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.sop import Clock, utc_now
from bot.store import OutboxRow, Store, Tx

log = logging.getLogger(__name__)

# Opt in to python-telegram-bot's coming behaviour (durations as timedelta): without it
# PTB 22 emits a deprecation warning from inside its own RetryAfter constructor on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")

OnUnreachable = Callable[[Tx, int, int | None], Awaitable[None]]
EDITS = ("editMessageText", "editMessageReplyMarkup")


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whichever type this PTB version returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Outbox:
    """Runs as one task beside the update loop; ``wake()`` after committing rows."""

    def __init__(
        self,
        store: Store,
        bot: Bot,
        *,
        clock: Clock = utc_now,
        on_unreachable: OnUnreachable | None = None,
        max_attempts: int = 6,
        idle_poll_s: float = 5.0,
    ) -> None:
        self.store = store
        self.bot = bot
        self.clock = clock
        self.on_unreachable = on_unreachable
        self.max_attempts = max_attempts
        self.idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the round in flight, deliver what is due, then return from ``run``.

        Cancelling a send between Telegram's answer and our commit would send it
        again after a restart, so a graceful stop never cancels mid-round.
        """
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver until ``stop()``."""
        while True:
            self._wake.clear()
            try:
                sent = await self.deliver_once()
            except Exception:  # keep the sender alive; the rows stay pending
                log.exception("outbox delivery round failed")
                sent = 0
            if sent:
                continue
            if self._stopping:
                return
            await self._sleep()

    async def _sleep(self) -> None:
        timeout = self.idle_poll_s
        nxt = await self.store.outbox_next_due()
        if nxt is not None:
            timeout = min(timeout, max(0.05, (nxt - self.clock()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def deliver_once(self) -> int:
        """Send the due head row of every chat; returns how many rows were settled."""
        rows = await self.store.outbox_due(self.clock())
        if not rows:
            return 0
        await asyncio.gather(*(self._deliver(r) for r in rows))
        return len(rows)

    async def drain(self, max_rounds: int = 100) -> None:
        """Deliver until nothing is due (a graceful stop); callers bound it with a timeout."""
        for _ in range(max_rounds):
            if not await self.deliver_once():
                return

    async def _deliver(self, row: OutboxRow) -> None:
        if await self.store.is_unreachable(row.chat_id):
            async with self.store.write() as tx:
                await tx.outbox_done(row.id, "unreachable", error="chat unreachable")
            return
        payload = dict(row.payload)
        if row.method in EDITS and row.ref_outbox_id is not None:
            if await self.store.outbox_has_newer_edit(row):
                async with self.store.write() as tx:
                    await tx.outbox_done(row.id, "superseded")
                return
            ref = await self.store.outbox_row(row.ref_outbox_id)
            if ref is None or ref.state != "sent" or ref.message_id is None:
                async with self.store.write() as tx:
                    await tx.outbox_done(row.id, "skipped", error="original message not sent")
                return
            payload["message_id"] = ref.message_id
        try:
            message_id = await self._call(row, payload)
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            log.warning("flood limit on chat %s: retrying in %.0f s", row.chat_id, wait)
            async with self.store.write() as tx:
                await tx.outbox_retry(row.id, tx.now + timedelta(seconds=wait), "429")
        except Forbidden as exc:
            await self._unreachable(row, str(exc))
        except BadRequest as exc:
            text = str(exc).lower()
            if "message is not modified" in text:
                await self._done(row, None)
            elif "chat not found" in text:
                await self._unreachable(row, str(exc))
            else:
                log.error("Telegram refused outbox row %s (%s): %s", row.id, row.method, exc)
                async with self.store.write() as tx:
                    await tx.outbox_done(row.id, "failed", error=str(exc)[:500])
        except NetworkError as exc:
            await self._retry(row, str(exc) or type(exc).__name__)
        except TelegramError as exc:
            log.error("outbox row %s failed: %s", row.id, exc)
            async with self.store.write() as tx:
                await tx.outbox_done(row.id, "failed", error=str(exc)[:500])
        else:
            await self._done(row, message_id)

    async def _call(self, row: OutboxRow, p: dict[str, Any]) -> int | None:
        markup = (
            InlineKeyboardMarkup.de_json(p["reply_markup"], self.bot)
            if p.get("reply_markup") else None
        )
        if row.method == "sendMessage":
            msg = await self.bot.send_message(
                chat_id=row.chat_id, text=p["text"], parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return msg.message_id
        if row.method == "editMessageText":
            await self.bot.edit_message_text(
                chat_id=row.chat_id, message_id=p["message_id"], text=p["text"],
                parse_mode=ParseMode.HTML, reply_markup=markup,
            )
            return None
        if row.method == "editMessageReplyMarkup":
            await self.bot.edit_message_reply_markup(
                chat_id=row.chat_id, message_id=p["message_id"], reply_markup=markup
            )
            return None
        raise TelegramError(f"unsupported outbox method {row.method}")

    async def _done(self, row: OutboxRow, message_id: int | None) -> None:
        async with self.store.write() as tx:
            await tx.outbox_done(row.id, "sent", message_id=message_id)
            if row.complaint_id is not None and row.method == "sendMessage":
                await tx.event(row.complaint_id, "message", chat_id=row.chat_id,
                               purpose=row.purpose, outbox_id=row.id)
                if row.step is not None:
                    await tx.event(row.complaint_id, "step_end", step=row.step)

    async def _retry(self, row: OutboxRow, error: str) -> None:
        async with self.store.write() as tx:
            if row.attempts + 1 >= self.max_attempts:
                log.error("giving up outbox row %s after %d attempts: %s", row.id,
                          row.attempts + 1, error)
                await tx.outbox_done(row.id, "failed", error=error[:500])
                return
            delay = min(60.0, 2.0 ** row.attempts)
            log.warning("network error on chat %s (%s); retry in %.0f s", row.chat_id, error,
                        delay)
            await tx.outbox_retry(row.id, tx.now + timedelta(seconds=delay), error[:500])

    async def _unreachable(self, row: OutboxRow, reason: str) -> None:
        log.warning("chat %s cannot be reached: %s", row.chat_id, reason)
        async with self.store.write() as tx:
            await tx.outbox_done(row.id, "unreachable", error=reason[:500])
            await tx.outbox_drop_chat(row.chat_id, "unreachable")
            await tx.mark_unreachable(row.chat_id, reason[:200])
            if row.complaint_id is not None:
                await tx.event(row.complaint_id, "unreachable", chat_id=row.chat_id,
                               purpose=row.purpose)
            if self.on_unreachable is not None:
                await self.on_unreachable(tx, row.chat_id, row.complaint_id)
        self.wake()
