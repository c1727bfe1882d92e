"""The inbox: every update committed before Telegram hears it arrived."""

from __future__ import annotations

from datetime import datetime

from bot.storage.base import Table
from bot.storage.rows import iso


class InboxReads(Table):
    """Updates stored but not yet handled, and where polling goes on."""

    async def unhandled(self) -> list[tuple[int, str]]:
        rows = await self._all(
            "SELECT update_id, raw FROM inbox WHERE handled=0 ORDER BY update_id"
        )
        return [(r["update_id"], r["raw"]) for r in rows]

    async def unhandled_one(self, update_id: int) -> str | None:
        """One stored update's JSON if it is not handled yet (one row by its key: the
        webhook's worker asked for every unhandled one per update, quadratic in a backlog)."""
        row = await self._one("SELECT raw FROM inbox WHERE update_id=? AND handled=0", (update_id,))
        return None if row is None else str(row["raw"])

    async def last_received(self) -> datetime | None:
        """When the newest stored update arrived (a clock set back shows as now before it)."""
        row = await self._one("SELECT MAX(received_at) AS m FROM inbox")
        return None if row is None or row["m"] is None else datetime.fromisoformat(row["m"])

    async def next_offset(self) -> int | None:
        row = await self._one("SELECT MAX(update_id) AS m FROM inbox")
        return None if row is None or row["m"] is None else int(row["m"]) + 1


class InboxWrites(InboxReads):
    """Storing updates and marking them handled."""

    async def add(self, update_id: int, raw: str) -> bool:
        """Store an update; False if it was stored before (a redelivery)."""
        return (
            await self._exec(
                "INSERT OR IGNORE INTO inbox (update_id, raw, received_at) VALUES (?,?,?)",
                (update_id, raw, iso(self.now)),
            )
            == 1
        )

    async def done(
        self, update_id: int, error: str | None = None, *, raw: str | None = None
    ) -> None:
        """Mark an update handled; ``raw``: what to keep instead (an ignored update's
        audit copy), None keeps what was stored."""
        await self._exec(
            "UPDATE inbox SET handled=1, handled_at=?, error=?, raw=COALESCE(?, raw)"
            " WHERE update_id=?",
            (iso(self.now), error, raw, update_id),
        )

    async def prune(self, received_before: datetime) -> int:
        """Delete handled updates received before then; returns how many.

        Unhandled ones stay (they are the crash backlog), and so does the newest, whatever
        its age: polling resumes from it (``next_offset``).
        """
        return await self._exec(
            "DELETE FROM inbox WHERE handled=1 AND received_at<?"
            " AND update_id<(SELECT MAX(update_id) FROM inbox)",
            (iso(received_before),),
        )
