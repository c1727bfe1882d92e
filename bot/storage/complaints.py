"""Complaints, their timeline, vendor calls and the /lapor dialog (SOP steps 1, 10, 11)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.model import Actor, State
from bot.storage.base import Table
from bot.storage.rows import Complaint, Dialog, Event, iso, to_complaint, to_dialog, to_event


class ComplaintReads(Table):
    """Reading complaints and what happened to them."""

    async def get(self, complaint_id: int) -> Complaint | None:
        row = await self._one("SELECT * FROM complaints WHERE id=?", (complaint_id,))
        return to_complaint(row) if row else None

    async def agenda(self, since: datetime) -> list[Complaint]:
        """Open complaints and those filed or closed since ``since`` (start of today).

        Three index lookups, not one OR over the whole table: the agenda costs the same
        however many complaints the office ever closed.
        """
        open_states = [s for s in State if s is not State.CLOSED]
        marks = ",".join("?" * len(open_states))
        rows = await self._all(
            "SELECT * FROM complaints WHERE id IN ("  # noqa: S608
            f"SELECT id FROM complaints WHERE state IN ({marks})"
            " UNION SELECT id FROM complaints WHERE created_at >= ?"
            " UNION SELECT id FROM complaints WHERE closed_at >= ?) ORDER BY id",
            (*open_states, iso(since), iso(since)),
        )
        return [to_complaint(r) for r in rows]

    async def all(self) -> list[Complaint]:
        return [to_complaint(r) for r in await self._all("SELECT * FROM complaints ORDER BY id")]

    async def of_reporter(self, reporter_id: int, limit: int = 10) -> list[Complaint]:
        rows = await self._all(
            "SELECT * FROM complaints WHERE reporter_id=? ORDER BY id DESC LIMIT ?",
            (reporter_id, limit),
        )
        return [to_complaint(r) for r in rows]

    async def filed_since(self, reporter_id: int, since: datetime) -> list[datetime]:
        """When this user filed complaints themselves since ``since``, oldest first."""
        rows = await self._all(
            "SELECT created_at FROM complaints WHERE reporter_id=? AND filed_by_id IS NULL"
            " AND created_at>=? ORDER BY created_at",
            (reporter_id, iso(since)),
        )
        return [datetime.fromisoformat(r["created_at"]) for r in rows]

    async def may_file(
        self, reporter_id: int, update_id: int | None, since: datetime, limit: int
    ) -> bool:
        """Whether a complaint may be filed: this update filed it already, or under ``limit``.

        One statement, so inside a write transaction two updates cannot both slip through.
        """
        return bool(
            await self._count(
                "SELECT EXISTS(SELECT 1 FROM complaints WHERE source_update_id=?)"
                " OR (SELECT COUNT(*) FROM complaints WHERE reporter_id=? AND filed_by_id IS NULL"
                " AND created_at>=?) < ?",
                (update_id, reporter_id, iso(since), limit),
            )
        )

    async def timeline(self, complaint_id: int) -> list[Event]:
        rows = await self._all(
            "SELECT * FROM timeline WHERE complaint_id=? ORDER BY id", (complaint_id,)
        )
        return [to_event(r) for r in rows]

    async def dialog(self, user_id: int, since: datetime) -> Dialog | None:
        """The user's /lapor dialog, if it moved on since ``since`` (an older one has
        lapsed: the next plain message is not a complaint)."""
        row = await self._one(
            "SELECT stage, site, chat_id, text, reporter FROM dialogs"
            " WHERE user_id=? AND updated_at>=?",
            (user_id, iso(since)),
        )
        return to_dialog(row) if row else None

    async def last_site(self, reporter_id: int) -> str | None:
        """The site of the reporter's most recent complaint that had one."""
        row = await self._one(
            "SELECT site FROM complaints WHERE reporter_id=? AND site IS NOT NULL"
            " ORDER BY id DESC LIMIT 1",
            (reporter_id,),
        )
        return row["site"] if row else None


class ComplaintWrites(ComplaintReads):
    """Changing complaints; only valid inside ``Database.write()``."""

    async def add(
        self,
        *,
        state: State,
        reporter: Actor,
        reporter_chat_id: int | None,
        channel: str,
        site: str | None,
        text: str,
        filed_by: Actor | None = None,
        source_update_id: int | None = None,
        incident_id: int | None = None,
    ) -> int | None:
        """File a complaint; None if this update already filed one."""
        cur = await self._db.execute(
            "INSERT OR IGNORE INTO complaints (state, reporter_id, reporter_chat_id,"
            " reporter_name, filed_by_id, filed_by_name, channel, site, text, source_update_id,"
            " created_at, updated_at, incident_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                state,
                reporter.id,
                reporter_chat_id,
                reporter.name,
                filed_by.id if filed_by else None,
                filed_by.name if filed_by else None,
                channel,
                site,
                text,
                source_update_id,
                iso(self.now),
                iso(self.now),
                incident_id,
            ),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def set_state(self, complaint_id: int, old: str, new: str) -> bool:
        """Conditional update: True only if the complaint was still in ``old``.

        Closing stamps ``closed_at``; leaving ``closed`` (the reporter says the network is
        still down) clears it."""
        closed = iso(self.now) if new == State.CLOSED else None
        return (
            await self._exec(
                "UPDATE complaints SET state=?, updated_at=?, closed_at=? WHERE id=? AND state=?",
                (new, iso(self.now), closed, complaint_id, old),
            )
            == 1
        )

    async def dismiss(self, complaint_id: int, reason: str) -> bool:
        """Close a complaint as not a network fault (a duplicate, a mistake, ...)."""
        return (
            await self._exec(
                "UPDATE complaints SET state=?, dismissed=?, updated_at=?, closed_at=?"
                " WHERE id=? AND state != ?",
                (State.CLOSED, reason, iso(self.now), iso(self.now), complaint_id, State.CLOSED),
            )
            == 1
        )

    async def event(
        self,
        complaint_id: int,
        kind: str,
        *,
        actor: Actor | None = None,
        step: int | None = None,
        round: int | None = None,
        state_from: str | None = None,
        state_to: str | None = None,
        at: datetime | None = None,
        **detail: Any,
    ) -> int:
        """Append a timeline row (``actor`` None: the bot did it)."""
        actor = actor or Actor.bot()
        return await self._insert(
            "INSERT INTO timeline (complaint_id, at, kind, step, round, actor_id, actor_name,"
            " state_from, state_to, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                complaint_id,
                iso(at or self.now),
                kind,
                step,
                round,
                actor.id,
                actor.name,
                state_from,
                state_to,
                json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
            ),
        )

    async def set_dialog(
        self,
        user_id: int,
        chat_id: int,
        stage: str,
        site: str | None,
        text: str | None = None,
        reporter: str | None = None,
    ) -> None:
        await self._exec(
            "INSERT INTO dialogs (user_id, chat_id, stage, site, text, reporter, updated_at)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT(user_id) DO UPDATE SET"
            " chat_id=excluded.chat_id, stage=excluded.stage, site=excluded.site,"
            " text=excluded.text, reporter=excluded.reporter, updated_at=excluded.updated_at",
            (user_id, chat_id, stage, site, text, reporter, iso(self.now)),
        )

    async def take_site(self, complaint_id: int, site: str) -> bool:
        """A complaint without a site takes its incident's (joined or merged into it)."""
        return (
            await self._exec(
                "UPDATE complaints SET site=?, updated_at=? WHERE id=? AND site IS NULL",
                (site, iso(self.now), complaint_id),
            )
            == 1
        )

    async def clear_dialog(self, user_id: int) -> None:
        await self._exec("DELETE FROM dialogs WHERE user_id=?", (user_id,))
