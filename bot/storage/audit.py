"""The audit table: every refused press or command, for the office to review."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import Actor
from bot.storage.base import Table
from bot.storage.rows import iso


class AuditReads(Table):
    """How often a user was refused (the flood guard's memory)."""

    async def count(self, user_id: int, outcome: str, since: datetime) -> int:
        return await self._count(
            "SELECT COUNT(*) FROM audit WHERE user_id=? AND outcome=? AND at>=?",
            (user_id, outcome, iso(since)),
        )


class AuditWrites(AuditReads):
    """Recording refusals."""

    async def add(
        self,
        *,
        update_id: int | None,
        user: Actor,
        chat_id: int | None,
        kind: str,
        what: str | None,
        outcome: str,
        complaint_id: int | None = None,
    ) -> bool:
        """Record a refused press or command; False if this update was recorded before."""
        return (
            await self._exec(
                "INSERT OR IGNORE INTO audit (at, update_id, user_id, user_name, chat_id, kind,"
                " what, complaint_id, outcome) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    iso(self.now),
                    update_id,
                    user.id,
                    user.name,
                    chat_id,
                    kind,
                    what[:64] if what else what,
                    complaint_id,
                    outcome,
                ),
            )
            == 1
        )

    async def flood_seen(self, update_id: int, count: int, outcome: str = "flood") -> None:
        """The flood (or collapsed repeats) that began with ``update_id`` has now ignored
        ``count`` updates."""
        await self._exec(
            "UPDATE audit SET count=? WHERE update_id=? AND outcome=?",
            (count, update_id, outcome),
        )
