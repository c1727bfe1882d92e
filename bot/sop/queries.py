"""What handlers may read: complaints, their history and the agenda (SOP step 10).

Read-only, on the database's read connection; rendering is done here so the
handlers only parse and answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import timing
from bot.domain.events import EventKind
from bot.domain.model import State
from bot.render.views import LONG_EXCERPT, Views
from bot.storage import Complaint, Database, Dialog, OutboxRow

DIALOG_LAPSES = timedelta(minutes=30)  # a /lapor dialog unanswered this long is over
# Timeline rows a reporter's /lacak leaves out: the ADBs' notes (cause, action taken) are
# written for the office; the reports to the JF ADB and the Kabid and staff's /lacak keep them.
STAFF_ONLY = frozenset({EventKind.NOTE})


class Queries:
    """Read-only questions handlers ask."""

    def __init__(self, db: Database, views: Views, tz: ZoneInfo) -> None:
        self.db = db
        self.views = views
        self.tz = tz

    async def complaint(self, cid: int) -> Complaint | None:
        return await self.db.reads.complaints.get(cid)

    async def history_text(self, c: Complaint, *, full: bool) -> str:
        """A complaint's status, vendors and timeline; ``full`` adds checks and step times."""
        reads = self.db.reads
        events = await reads.complaints.timeline(c.id)
        if not full:
            events = [e for e in events if e.kind not in STAFF_ONLY]
        inc = await reads.incidents.get(c.incident_id) if c.incident_id is not None else None
        linked = await reads.incidents.complaints(inc.id) if inc else [c]
        return self.views.html(
            "history",
            c=self.views.complaint(c, LONG_EXCERPT),
            full=full,
            events=events,
            times=timing.compliance(events, self.db.clock(), self.views.calendar),
            linked=[x.tag for x in linked],
            inc=self.views.incident(inc) if inc else None,
            vendors=await reads.incidents.vendor_calls(inc.id) if inc else [],
        )

    async def agenda_text(self, now: datetime) -> str:
        """Open complaints and today's, as the /agenda message.

        Closed as not a network fault (/tutup) is listed apart from closed with the
        network running normally, as the Buku Agenda and the Rekapitulasi count them."""
        start = now.astimezone(self.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        items = await self.db.reads.complaints.agenda(start)
        shown = [self.views.complaint(c, 80) for c in items]
        return self.views.html(
            "agenda",
            open=[c for c in shown if c["state"] not in (State.CLOSED, "dismissed")],
            closed=[c for c in shown if c["state"] == State.CLOSED],
            dismissed=[c for c in shown if c["state"] == "dismissed"],
            now=now,
        )

    async def mine(self, reporter_id: int) -> list[dict[str, Any]]:
        """A reporter's latest complaints, for /lacak without a number."""
        return [
            self.views.complaint(c, 80)
            for c in await self.db.reads.complaints.of_reporter(reporter_id)
        ]

    async def dialog(self, user_id: int) -> Dialog | None:
        """The user's open /lapor dialog; one left unanswered for ``DIALOG_LAPSES`` is
        over, so "terima kasih pak, sudah beres" weeks later files nothing."""
        return await self.db.reads.complaints.dialog(user_id, self.db.clock() - DIALOG_LAPSES)

    async def last_site(self, reporter_id: int) -> str | None:
        """The reporter's last choice: the site of their latest complaint that had one."""
        return await self.db.reads.complaints.last_site(reporter_id)

    async def filed_since(self, reporter_id: int, since: datetime) -> list[datetime]:
        return await self.db.reads.complaints.filed_since(reporter_id, since)

    async def refusals(self, user_id: int, outcome: str, since: datetime) -> int:
        return await self.db.reads.audit.count(user_id, outcome, since)

    async def sent_message(self, chat_id: int, message_id: int) -> OutboxRow | None:
        """What the bot sent as that message (a reply to it answers it)."""
        return await self.db.reads.outbox.by_message(chat_id, message_id)

    async def is_unreachable(self, chat_id: int) -> bool:
        return await self.db.reads.outbox.is_unreachable(chat_id)
