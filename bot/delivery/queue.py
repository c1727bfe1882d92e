"""What to send: messages queued as outbox rows inside the caller's transaction.

Nothing here talks to Telegram. A change and the messages it causes are
committed together; ``wake()`` then tells the sender there is work. The queue
also says what to do when a chat cannot be reached: tell the ADB. What a
delivery means for the SOP (a complaint's record, a report's step that ends)
is not known here: the SOP layer registers ``DeliveryHooks`` with the queue,
and the sender calls them in the transaction that records the delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from bot.domain import purposes
from bot.domain.purposes import Purpose
from bot.render.fit import fit
from bot.render.views import Markup, Views
from bot.storage import Database, OutboxRow, Tx

log = logging.getLogger(__name__)

# Priorities: per chat the sender sends the due row with the lowest (priority, id).
URGENT = 0  # decision prompts and official reports: what someone is waiting to act on
NORMAL = 1  # replies, acknowledgements, notices
BACKGROUND = 2  # progress edits of a diagnosis: only their last form matters


class DeliveryHooks(Protocol):
    """What the layer above records when the sender is done with a row, in its transaction."""

    async def delivered(self, tx: Tx, row: OutboxRow) -> None:
        """``row`` (a sendMessage) was delivered."""

    async def unreachable(self, tx: Tx, row: OutboxRow) -> None:
        """``row``'s chat blocked the bot (or no longer exists)."""


class MessageQueue:
    """Queue messages for the sender, and wake it."""

    def __init__(
        self,
        db: Database,
        views: Views,
        adb_chats: tuple[int, ...],
        hooks: DeliveryHooks | None = None,
    ) -> None:
        self.db = db
        self.views = views
        self.adb_chats = adb_chats
        self.hooks = hooks  # None: nothing above wants to know (the sender's own tests)
        self._work = asyncio.Event()

    def wake(self) -> None:
        """Rows were committed: the sender should look now, not at its next poll."""
        self._work.set()

    async def wait(self, seconds: float) -> None:
        """The sender's nap: until ``wake()`` or ``seconds`` have passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._work.wait(), seconds)
        self._work.clear()

    async def send(
        self,
        tx: Tx,
        chat_id: int,
        text: str,
        *,
        markup: Markup | None = None,
        complaint_id: int | None = None,
        purpose: str | None = None,
        step: int | None = None,
        priority: int = NORMAL,
        incident_id: int | None = None,
        reply_to: int | None = None,
    ) -> list[int]:
        """Queue ``text`` (split if too long; buttons and the step on the last part).

        ``reply_to``: the message id (in that chat) the first part replies to."""
        parts = fit(text)
        ids = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            payload: dict[str, Any] = {"text": part, "parse_mode": "HTML"}
            if i == 0 and reply_to is not None:
                payload["reply_parameters"] = {
                    "message_id": reply_to,
                    "allow_sending_without_reply": True,
                }
            if last and markup:
                payload["reply_markup"] = markup
            ids.append(
                await tx.outbox.enqueue(
                    chat_id,
                    "sendMessage",
                    payload,
                    complaint_id=complaint_id,
                    purpose=purpose,
                    step=step if last else None,
                    priority=priority,
                    incident_id=incident_id,
                )
            )
        return ids

    async def to_adbs_under_prompt(
        self, tx: Tx, incident_id: int, round_: int, text: str, purpose: str
    ) -> None:
        """An urgent word about an incident to every ADB chat, as a reply to the
        incident's diagnosis prompt there (so it reads under the Ya/Tidak buttons)."""
        prompts = {
            r.chat_id: r.message_id
            for r in await tx.outbox.sent_for_incident(incident_id, purposes.diagnosis(round_))
        }
        for chat in self.adb_chats:
            await self.send(
                tx,
                chat,
                text,
                incident_id=incident_id,
                purpose=purpose,
                priority=URGENT,
                reply_to=prompts.get(chat),
            )

    async def edit(
        self,
        tx: Tx,
        row: OutboxRow,
        text: str,
        markup: Markup | None = None,
        *,
        priority: int = NORMAL,
        incident_id: int | None = None,
    ) -> int:
        """Change the message an earlier outbox row sends; returns the row that carries it.

        If that send has not started yet, the new text goes into it (``fold``: one
        sendMessage in the latest form instead of a send and an edit); otherwise an edit
        is queued, which the sender holds until the send is done.
        """
        payload: dict[str, Any] = {"text": fit(text)[0], "parse_mode": "HTML"}
        if markup:
            payload["reply_markup"] = markup
        if row.method == "sendMessage" and await tx.outbox.fold(row.id, payload, priority):
            return row.id
        return await tx.outbox.enqueue(
            row.chat_id,
            "editMessageText",
            payload,
            complaint_id=row.complaint_id,
            purpose=row.purpose,
            ref_outbox_id=row.id,
            priority=priority,
            incident_id=incident_id if incident_id is not None else row.incident_id,
        )

    async def drop_buttons(
        self, tx: Tx, row: OutboxRow, *, priority: int = NORMAL, incident_id: int | None = None
    ) -> int:
        """Queue the removal of the buttons under the message an outbox row sent.

        A send that has not started yet just goes out without them (``fold``)."""
        if row.method == "sendMessage" and "reply_markup" in row.payload:
            bare = {k: v for k, v in row.payload.items() if k != "reply_markup"}
            if await tx.outbox.fold(row.id, bare, priority):
                return row.id
        return await tx.outbox.enqueue(
            row.chat_id,
            "editMessageReplyMarkup",
            {},
            complaint_id=row.complaint_id,
            purpose=row.purpose,  # as an edit of its text does: found with its message
            ref_outbox_id=row.id,
            priority=priority,
            incident_id=incident_id if incident_id is not None else row.incident_id,
        )

    async def drop_buttons_of(self, tx: Tx, incident_id: int, *purposes: str) -> None:
        """Take the buttons away from every message of an incident sent for one of
        ``purposes``, once: a message without them (or already queued to lose them)
        costs no call to Telegram."""
        for purpose in purposes:
            dropped = await tx.outbox.buttons_dropped(incident_id, purpose)
            for row in await tx.outbox.sent_for_incident(incident_id, purpose):
                if "reply_markup" in row.payload and row.id not in dropped:
                    await self.drop_buttons(tx, row)

    async def drop_pressed(self, tx: Tx, chat_id: int, message_id: int) -> int:
        """Queue the removal of the buttons under a message whose id Telegram told us
        (the one a button was pressed on)."""
        return await tx.outbox.enqueue(
            chat_id, "editMessageReplyMarkup", {"message_id": message_id}
        )

    async def drop_pressed_now(self, chat_id: int, message_id: int) -> None:
        """``drop_pressed`` in its own transaction (a stale press: nothing else to write)."""
        async with self.db.write() as tx:
            await self.drop_pressed(tx, chat_id, message_id)
        self.wake()

    async def edit_direct(
        self,
        tx: Tx,
        chat_id: int,
        message_id: int,
        text: str,
        markup: Markup | None = None,
        *,
        priority: int = NORMAL,
    ) -> int:
        """Queue an edit of a message whose id Telegram told us (a pressed one)."""
        payload: dict[str, Any] = {
            "text": fit(text)[0],
            "parse_mode": "HTML",
            "message_id": message_id,
        }
        if markup:
            payload["reply_markup"] = markup
        return await tx.outbox.enqueue(chat_id, "editMessageText", payload, priority=priority)

    async def reply(
        self,
        chat_id: int,
        template: str,
        *,
        complaint_id: int | None = None,
        markup: Markup | None = None,
        purpose: str | None = None,
        priority: int = NORMAL,
        **ctx: Any,
    ) -> None:
        """Render ``template`` and queue it to ``chat_id`` in its own transaction."""
        await self.reply_text(
            chat_id,
            self.views.html(template, **ctx),
            complaint_id=complaint_id,
            markup=markup,
            purpose=purpose,
            priority=priority,
        )

    async def reply_text(
        self,
        chat_id: int,
        text: str,
        *,
        complaint_id: int | None = None,
        markup: Markup | None = None,
        purpose: str | None = None,
        priority: int = NORMAL,
    ) -> None:
        """Queue rendered ``text`` to ``chat_id`` in its own transaction."""
        async with self.db.write() as tx:
            await self.send(
                tx,
                chat_id,
                text,
                markup=markup,
                complaint_id=complaint_id,
                purpose=purpose,
                priority=priority,
            )
        self.wake()

    async def unreachable(self, tx: Tx, chat_id: int, complaint_id: int | None) -> None:
        """A chat blocked the bot: tell the ADB, inside the sender's transaction."""
        if chat_id in self.adb_chats:
            log.warning("an ADB chat %s cannot be reached; check the bot is started there", chat_id)
            return
        c = await tx.complaints.get(complaint_id) if complaint_id is not None else None
        text = self.views.html(
            "unreachable", chat_id=chat_id, c=self.views.complaint(c) if c else None
        )
        for chat in self.adb_chats:
            await self.send(tx, chat, text, complaint_id=complaint_id, purpose=Purpose.UNREACHABLE)
