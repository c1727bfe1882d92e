"""The running bot's own status (Telegram reachable, the wall clock's last step), stored
so that ``netmaint doctor``, another process, can say what the bot sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.base import Table
from bot.storage.rows import iso

TELEGRAM = "telegram"  # value: REACHABLE or UNREACHABLE
CLOCK_STEP = "clock_step"  # value: the step in whole seconds, signed ("+3600", "-60")
RECAP_DEFERRED = "recap_deferred"  # value: the month ("2027-01") or "" (none); detail: why
REACHABLE, UNREACHABLE = "reachable", "unreachable"


@dataclass(frozen=True, slots=True)
class Status:
    key: str
    value: str
    detail: str | None
    since: datetime


class StatusReads(Table):
    """One status by key."""

    async def get(self, key: str) -> Status | None:
        row = await self._one(
            "SELECT key, value, detail, since FROM runtime_status WHERE key=?", (key,)
        )
        if row is None:
            return None
        return Status(row["key"], row["value"], row["detail"], datetime.fromisoformat(row["since"]))


class StatusWrites(StatusReads):
    """Setting a status; ``since`` moves only when the value changes."""

    async def put(self, key: str, value: str, detail: str | None = None) -> None:
        await self._exec(
            "INSERT INTO runtime_status (key, value, detail, since) VALUES (?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET detail=excluded.detail,"
            " since=CASE WHEN runtime_status.value=excluded.value"
            " THEN runtime_status.since ELSE excluded.since END, value=excluded.value",
            (key, value, detail, iso(self.now)),
        )
