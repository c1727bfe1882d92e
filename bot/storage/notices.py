"""One-time notices (a group the bot is not set up for is told once), remembered in the
outbox itself: the row with that purpose for that chat, which is never deleted."""

from __future__ import annotations

from bot.storage.base import Table


class NoticeReads(Table):
    """Whether a chat was ever sent a notice of a purpose."""

    async def queued_before(self, chat_id: int, purpose: str) -> bool:
        row = await self._one(
            "SELECT 1 FROM outbox WHERE chat_id=? AND purpose=? LIMIT 1", (chat_id, purpose)
        )
        return row is not None
