"""The outbox (messages to deliver, in order per chat) and which chats blocked the bot."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.storage.base import Queries
from bot.storage.rows import OutboxRow, iso, to_outbox


class OutboxReads(Queries):
    """What is waiting to be sent, and how delivery went."""

    async def due(self, now: datetime) -> list[OutboxRow]:
        """The oldest pending row of each chat, if it is due (later rows wait: order per chat)."""
        rows = await self._all(
            "SELECT o.* FROM outbox o WHERE o.state='pending'"
            " AND o.id=(SELECT MIN(p.id) FROM outbox p WHERE p.chat_id=o.chat_id"
            " AND p.state='pending')"
            " AND (o.not_before IS NULL OR o.not_before<=?) ORDER BY o.id",
            (iso(now),),
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
        return bool(await self._count(
            "SELECT COUNT(*) FROM outbox WHERE ref_outbox_id=? AND state='pending' AND id>?"
            " AND method=?",
            (row.ref_outbox_id, row.id, row.method),
        ))

    async def sent_for(self, complaint_id: int, purpose: str) -> list[OutboxRow]:
        """The sendMessage rows of a complaint with this purpose (to edit them later)."""
        rows = await self._all(
            "SELECT * FROM outbox WHERE complaint_id=? AND purpose=? AND method='sendMessage'"
            " ORDER BY id",
            (complaint_id, purpose),
        )
        return [to_outbox(r) for r in rows]

    async def sent_for_incident(self, incident_id: int, purpose: str) -> list[OutboxRow]:
        rows = await self._all(
            "SELECT * FROM outbox WHERE incident_id=? AND purpose=? AND method='sendMessage'"
            " ORDER BY id",
            (incident_id, purpose),
        )
        return [to_outbox(r) for r in rows]

    async def by_message(self, chat_id: int, message_id: int) -> OutboxRow | None:
        """The row that sent message ``message_id`` in ``chat_id`` (to read a reply to it)."""
        row = await self._one("SELECT * FROM outbox WHERE chat_id=? AND message_id=?"
                              " AND method='sendMessage'", (chat_id, message_id))
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
        return bool(await self._count(
            "SELECT COUNT(*) FROM chats WHERE chat_id=? AND unreachable_at IS NOT NULL",
            (chat_id,),
        ))


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
        incident_id: int | None = None,
        priority: int = 1,
    ) -> int:
        """Queue a Bot API call for the sender."""
        return await self._insert(
            "INSERT INTO outbox (chat_id, complaint_id, method, payload, ref_outbox_id, purpose,"
            " step, created_at, incident_id, priority) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (chat_id, complaint_id, method, json.dumps(payload, ensure_ascii=False),
             ref_outbox_id, purpose, step, iso(self.now), incident_id, priority),
        )

    async def done(self, row_id: int, state: str, *, message_id: int | None = None,
                   error: str | None = None) -> None:
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

    async def begin(self, row_id: int) -> None:
        """Mark a row in flight; if it already was, the last process died mid-send."""
        await self._exec(
            "UPDATE outbox SET ambiguous=ambiguous+(sending_at IS NOT NULL), sending_at=?"
            " WHERE id=?",
            (iso(self.now), row_id),
        )

    async def failed(self, row_id: int, not_before: datetime, error: str, *,
                     ambiguous: bool) -> None:
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
