"""The outbox (messages to deliver, in order per chat) and which chats blocked the bot."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.storage.base import Table
from bot.storage.rows import OutboxRow, iso, to_outbox


class OutboxReads(Table):
    """What is waiting to be sent, and how delivery went."""

    async def due(self, now: datetime, limit: int = 100) -> list[OutboxRow]:
        """Per chat, the pending row with the lowest (priority, id), if it is due.

        An edit whose message is still pending (or in flight) waits and is passed over:
        its send is among the chat's later rows, and the edit goes once the send is done.
        A head row that is not due yet (a 429's ``retry_after``, a backoff) holds its
        chat, so order within a priority is kept. Rows that will never go out are marked
        by ``OutboxWrites.settle`` first, so none of them is a head here. At most ``limit``
        chats, oldest (priority, id) first: at 30 sends a second overall, no more than
        about 30 chats are in flight and 30 held by their one-a-second pacing at once, so
        100 heads always hold one that can go; each row read is JSON decoded, and a
        backlog to thousands of chats cost 30% of the bot's time when 500 were read.
        """
        rows = await self._all(
            "SELECT o.* FROM (SELECT DISTINCT chat_id FROM outbox WHERE state='pending') c"
            " JOIN outbox o ON o.id=(SELECT p.id FROM outbox p"
            " WHERE p.state='pending' AND p.chat_id=c.chat_id"
            " AND NOT (p.ref_outbox_id IS NOT NULL AND EXISTS(SELECT 1 FROM outbox r"
            " WHERE r.id=p.ref_outbox_id AND r.state='pending'))"
            " ORDER BY p.priority, p.id LIMIT 1)"
            " WHERE o.not_before IS NULL OR o.not_before<=? ORDER BY o.priority, o.id LIMIT ?",
            (iso(now), limit),
        )
        return [to_outbox(r) for r in rows]

    async def next_due(self) -> datetime | None:
        row = await self._one(
            "SELECT MIN(not_before) AS t FROM outbox"
            " WHERE state='pending' AND not_before IS NOT NULL"
        )
        return datetime.fromisoformat(row["t"]) if row and row["t"] else None

    async def row(self, row_id: int) -> OutboxRow | None:
        row = await self._one("SELECT * FROM outbox WHERE id=?", (row_id,))
        return to_outbox(row) if row else None

    async def has_newer_edit(self, row: OutboxRow) -> bool:
        return bool(
            await self._count(
                "SELECT COUNT(*) FROM outbox WHERE ref_outbox_id=? AND state='pending' AND id>?"
                " AND method=?",
                (row.ref_outbox_id, row.id, row.method),
            )
        )

    async def sent_for_incident(self, incident_id: int, purpose: str) -> list[OutboxRow]:
        """The sendMessage rows of an incident with this purpose (to edit them later)."""
        rows = await self._all(
            "SELECT * FROM outbox WHERE incident_id=? AND purpose=? AND method='sendMessage'"
            " ORDER BY id",
            (incident_id, purpose),
        )
        return [to_outbox(r) for r in rows]

    async def latest_text(self, row: OutboxRow) -> str:
        """The text a sendMessage row's message has, or will have once its edits are sent:
        an unchanged text is not sent again (each edit costs a flood token)."""
        edit = await self._one(
            "SELECT payload FROM outbox WHERE incident_id=? AND purpose=? AND ref_outbox_id=?"
            " AND method='editMessageText' ORDER BY id DESC LIMIT 1",
            (row.incident_id, row.purpose, row.id),
        )
        payload = json.loads(edit["payload"]) if edit else row.payload
        return str(payload.get("text", ""))

    async def buttons_dropped(self, incident_id: int, purpose: str) -> set[int]:
        """The rows of an incident with this purpose whose buttons are queued to go (the
        ``editMessageReplyMarkup`` rows carry their message's incident and purpose)."""
        rows = await self._all(
            "SELECT ref_outbox_id FROM outbox WHERE incident_id=? AND purpose=?"
            " AND method='editMessageReplyMarkup'",
            (incident_id, purpose),
        )
        return {r["ref_outbox_id"] for r in rows}

    async def by_message(self, chat_id: int, message_id: int) -> OutboxRow | None:
        """The row that sent message ``message_id`` in ``chat_id`` (to read a reply to it)."""
        row = await self._one(
            "SELECT * FROM outbox WHERE chat_id=? AND message_id=? AND method='sendMessage'",
            (chat_id, message_id),
        )
        return to_outbox(row) if row else None

    async def pending_count(self) -> int:
        return await self._count("SELECT COUNT(*) FROM outbox WHERE state='pending'")

    async def possible_duplicates(self) -> int:
        """Sends that may have reached Telegram twice: ambiguous attempts of delivered ones."""
        return await self._count(
            "SELECT COALESCE(SUM(ambiguous), 0) FROM outbox"
            " WHERE method='sendMessage' AND state='sent'"
        )

    async def stats(self) -> dict[str, int]:
        """Rows per state, plus attempts, transient failures and ambiguous attempts overall."""
        rows = await self._all(
            "SELECT state, COUNT(*) AS n, SUM(attempts) AS a, SUM(failures) AS f,"
            " SUM(ambiguous) AS amb FROM outbox GROUP BY state"
        )
        out = {r["state"]: int(r["n"]) for r in rows}
        out["attempts"] = sum(int(r["a"] or 0) for r in rows)
        out["failures"] = sum(int(r["f"] or 0) for r in rows)
        out["ambiguous"] = sum(int(r["amb"] or 0) for r in rows)
        return out

    async def is_unreachable(self, chat_id: int) -> bool:
        return bool(
            await self._count(
                "SELECT COUNT(*) FROM chats WHERE chat_id=? AND unreachable_at IS NOT NULL",
                (chat_id,),
            )
        )


class OutboxWrites(OutboxReads):
    """Queueing messages and recording how each delivery went."""

    async def enqueue(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        *,
        complaint_id: int | None = None,
        purpose: str | None = None,
        ref_outbox_id: int | None = None,
        step: int | None = None,
        priority: int = 1,
        incident_id: int | None = None,
    ) -> int:
        """Queue a Bot API call for the sender (``priority``: 0 urgent, 1 normal, 2 background)."""
        return await self._insert(
            "INSERT INTO outbox (chat_id, complaint_id, method, payload, ref_outbox_id, purpose,"
            " step, priority, incident_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                chat_id,
                complaint_id,
                method,
                json.dumps(payload, ensure_ascii=False),
                ref_outbox_id,
                purpose,
                step,
                priority,
                incident_id,
                iso(self.now),
            ),
        )

    async def fold(self, row_id: int, payload: dict[str, Any], priority: int) -> bool:
        """Put ``payload`` into a send that has not started yet; False if it has (or is done).

        The send then goes out in its latest form instead of being edited afterwards; it
        keeps the more urgent of its own priority and the edit's. Conditional on the row
        being pending and not in flight, in one statement: ``begin`` sets ``sending_at``
        in its own transaction, so a fold is either in the payload ``begin`` returns or
        refused here (and queued as an edit).
        """
        return bool(
            await self._exec(
                "UPDATE outbox SET payload=?, priority=MIN(priority, ?)"
                " WHERE id=? AND method='sendMessage' AND state='pending' AND sending_at IS NULL",
                (json.dumps(payload, ensure_ascii=False), priority, row_id),
            )
        )

    async def withdraw(self, row_id: int) -> bool:
        """Take back a send that has not started yet (it will never go out); False if it
        has. Conditional in one statement, as ``fold`` is."""
        return bool(
            await self._exec(
                "UPDATE outbox SET state='superseded', last_error='withdrawn before sending'"
                " WHERE id=? AND method='sendMessage' AND state='pending' AND sending_at IS NULL",
                (row_id,),
            )
        )

    async def settle(self) -> int:
        """Mark the pending rows that will never go out, so none costs a flood token.

        An edit superseded by a newer pending edit of the same message (same method); an
        edit whose message failed, was given up or could not be delivered (``skipped``);
        any row for a chat that blocked the bot (``unreachable``). Rows in flight are left
        alone. An edit is any row with ``ref_outbox_id``. Returns how many were marked.
        """
        superseded = await self._exec(
            "UPDATE outbox SET state='superseded' WHERE state='pending' AND sending_at IS NULL"
            " AND ref_outbox_id IS NOT NULL AND EXISTS("
            "SELECT 1 FROM outbox n WHERE n.ref_outbox_id=outbox.ref_outbox_id"
            " AND n.method=outbox.method AND n.state='pending' AND n.id>outbox.id)"
        )
        skipped = await self._exec(
            "UPDATE outbox SET state='skipped', last_error='original message not sent'"
            " WHERE state='pending' AND sending_at IS NULL AND ref_outbox_id IS NOT NULL"
            " AND NOT EXISTS(SELECT 1 FROM outbox r"
            " WHERE r.id=outbox.ref_outbox_id AND (r.state='pending'"
            " OR (r.state='sent' AND r.message_id IS NOT NULL)))"
        )
        unreachable = await self._exec(
            "UPDATE outbox SET state='unreachable', last_error='chat unreachable'"
            " WHERE state='pending' AND sending_at IS NULL AND chat_id IN"
            " (SELECT chat_id FROM chats WHERE unreachable_at IS NOT NULL)"
        )
        return superseded + skipped + unreachable

    async def done(
        self, row_id: int, state: str, *, message_id: int | None = None, error: str | None = None
    ) -> None:
        await self._exec(
            "UPDATE outbox SET state=?, message_id=COALESCE(?, message_id), last_error=?,"
            " attempts=attempts+1, sending_at=NULL,"
            " sent_at=CASE WHEN ?='sent' THEN ? ELSE sent_at END"
            " WHERE id=?",
            (state, message_id, error, state, iso(self.now), row_id),
        )

    async def retry(self, row_id: int, not_before: datetime, error: str) -> None:
        """A 429: try again at ``not_before`` (not a failure: Telegram asked us to wait)."""
        await self._exec(
            "UPDATE outbox SET attempts=attempts+1, not_before=?, last_error=?, sending_at=NULL"
            " WHERE id=?",
            (iso(not_before), error, row_id),
        )

    async def begin(self, row_id: int) -> dict[str, Any] | None:
        """Mark a row in flight and return what to send: its payload as of now.

        If it already was in flight, the last process died mid-send (counted as
        ambiguous). The payload is read in the same statement, so an edit folded in
        before this is sent and none can be folded in after it (``fold``). None if the
        row is no longer pending (settled meanwhile): nothing to send.
        """
        row = await self._one(
            "UPDATE outbox SET ambiguous=ambiguous+(sending_at IS NOT NULL), sending_at=?"
            " WHERE id=? AND state='pending' RETURNING payload",
            (iso(self.now), row_id),
        )
        return json.loads(row["payload"]) if row else None

    async def failed(
        self, row_id: int, not_before: datetime, error: str, *, ambiguous: bool
    ) -> None:
        """A transient failure (timeout, 5xx, reset): retry at ``not_before``."""
        await self._exec(
            "UPDATE outbox SET attempts=attempts+1, failures=failures+1,"
            " ambiguous=ambiguous+?, not_before=?, last_error=?, sending_at=NULL WHERE id=?",
            (int(ambiguous), iso(not_before), error, row_id),
        )

    async def gave_up(self, row_id: int, error: str, *, ambiguous: bool) -> None:
        await self._exec(
            "UPDATE outbox SET state='failed', attempts=attempts+1, failures=failures+1,"
            " ambiguous=ambiguous+?, last_error=?, sending_at=NULL WHERE id=?",
            (int(ambiguous), error, row_id),
        )

    async def drop_chat(self, chat_id: int, state: str) -> int:
        """Give up on every pending row of a chat (it blocked the bot)."""
        return await self._exec(
            "UPDATE outbox SET state=? WHERE chat_id=? AND state='pending'", (state, chat_id)
        )

    async def mark_unreachable(self, chat_id: int, reason: str) -> None:
        await self._exec(
            "INSERT INTO chats (chat_id, unreachable_at, reason) VALUES (?,?,?)"
            " ON CONFLICT(chat_id) DO UPDATE SET unreachable_at=excluded.unreachable_at,"
            " reason=excluded.reason",
            (chat_id, iso(self.now), reason),
        )

    async def clear_unreachable(self, chat_id: int) -> None:
        await self._exec(
            "UPDATE chats SET unreachable_at=NULL, reason=NULL WHERE chat_id=?", (chat_id,)
        )
