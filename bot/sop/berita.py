"""The Berita Acara Gangguan Jaringan: one incident's signed record, as a naskah dinas PDF.

Service deadlines missed during an outage must be accounted for, so the office
keeps, per incident, a record the ADB who decided and the Kabid sign: when it began
and ended, how long it took (office time, as the SOP's clock counts it, and in all:
``bot.domain.timing.total``, the figure of the Kabid's report), where the break was
(the decisive round, ``bot.domain.decisive``, located on the site's path), what was
checked, who was called with which ticket, and the ADB's note on cause and action.
Gathered here from the stored rows; laid out by ``documents/berita_acara.typ``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.documents import pdf
from bot.documents.period import month_period
from bot.documents.service import Document, apart
from bot.domain import purposes, timing
from bot.domain.calendar import OfficeCalendar
from bot.domain.events import EventKind
from bot.domain.model import KABID_REPORT, MERGED, Action, State
from bot.domain.outcomes import Outcome, Refused
from bot.render.dates import day_in_words, short_moment, zone_name
from bot.render.views import Views
from bot.settings.office import OfficeConfig
from bot.sop.fault import Paths, fault_view
from bot.sop.transition import deciding_checks
from bot.storage import Complaint, Database, Event, Incident
from checks.models import CheckResult, Status
from checks.steps import PING, SERVICES, SOFTWARE

# "12", "#I12", "I12": an incident's number; "#K12" is a complaint's (``is_complaint_number``).
NUMBER = re.compile(r"^\s*#?([Ii]?)(\d{1,12})\s*$")
COMPLAINT = re.compile(r"^\s*#?[Kk]\d{1,12}\s*$")
TEXT = 400  # characters of a complaint's text on the document
MAX_MERGES = 20  # merged incidents followed to the one that holds their complaints


def incident_number(text: str) -> int | None:
    """The incident number in ``/beritaacara <nomor>``; None when it is not one."""
    m = NUMBER.match(text)
    return int(m[2]) if m else None


def is_complaint_number(text: str) -> bool:
    """ "#K12": a complaint's number, given where an incident's is asked for."""
    return COMPLAINT.match(text) is not None


class BeritaAcara:
    """Berita Acara documents for one database and office."""

    def __init__(self, db: Database, config: OfficeConfig, views: Views, paths: Paths) -> None:
        self.db = db
        self.config = config
        self.views = views
        self.paths = paths

    @classmethod
    def for_office(cls, db: Database, config: OfficeConfig, lang: str, tz: ZoneInfo) -> BeritaAcara:
        """As the bot builds it (``bot.services``), for the CLI."""
        calendar = OfficeCalendar(config.office, tz, paused=config.sla.pause_outside_office_hours)
        staff = {s.telegram_id: s.name for s in config.staff}
        views = Views(lang, calendar.tz, calendar, staff, config.sla.total_minutes)
        return cls(db, config, views, Paths(config))

    @property
    def lang(self) -> str:
        return self.views.lang

    async def incident(self, iid: int) -> Incident:
        """The incident ``iid`` (or the one it was merged into); ``Refused(NOT_FOUND)``."""
        inc = await self.db.reads.incidents.get(iid)
        for _ in range(MAX_MERGES):
            if inc is None or inc.state != MERGED or inc.merged_into is None:
                break
            inc = await self.db.reads.incidents.get(inc.merged_into)
        if inc is None or inc.state == MERGED:
            raise Refused(Outcome.NOT_FOUND)
        return inc

    async def due(self, iid: int, after_minutes: float) -> Incident | None:
        """The incident, if it is closed and lasted longer than ``after_minutes`` of office
        time (the Kabid report's figure); None otherwise, and always for 0 ("never")."""
        inc = await self.db.reads.incidents.get(iid)
        if after_minutes <= 0 or inc is None or inc.state != State.CLOSED or not inc.closed_at:
            return None
        start = self._start(inc, await self._complaints(inc))
        lasted = self.views.total(start, inc.closed_at)
        return inc if lasted.seconds > after_minutes * 60 else None

    async def report_message(self, inc: Incident) -> int | None:
        """The Telegram message of the incident's last report to the Kabid, once delivered
        (the Berita Acara answers it, so the two stay together in the group)."""
        purpose = purposes.report(KABID_REPORT.template, inc.round)
        rows = await self.db.reads.outbox.sent_for_incident(inc.id, purpose)
        return next((r.message_id for r in reversed(rows) if r.message_id is not None), None)

    async def document(self, iid: int, now: datetime) -> Document:
        """The Berita Acara of incident ``iid`` as a PDF; ``Refused(NOT_FOUND)`` if none."""
        inc = await self.incident(iid)
        data = await self.data(inc, now)
        pdf_bytes = await apart(pdf.berita_acara_pdf, data, self.lang)
        start = self.views.local(self._start(inc, await self._complaints(inc)))
        assert start is not None
        return Document(
            pdf_bytes,
            f"berita-acara-I{inc.id}.pdf",
            month_period(start.year, start.month, self.views.tz),
            len(data["complaints"]),
            subject=inc.tag,
        )

    async def _complaints(self, inc: Incident) -> list[Complaint]:
        return await self.db.reads.incidents.complaints(inc.id)

    @staticmethod
    def _start(inc: Incident, complaints: Sequence[Complaint]) -> datetime:
        """When the outage came to the office: its first complaint (monitoring's own, when
        monitoring found it), as the Kabid report counts from."""
        return min((c.created_at for c in complaints), default=inc.created_at)

    async def data(self, inc: Incident, now: datetime) -> dict[str, Any]:
        """What ``berita_acara.typ`` prints, every value already in the office's words."""
        v, reads = self.views, self.db.reads
        complaints = await self._complaints(inc)
        events = await reads.complaints.timeline(complaints[0].id) if complaints else []
        start = self._start(inc, complaints)
        closed = inc.closed_at if inc.state == State.CLOSED else None
        end = closed or now
        total = v.total(start, end, running=closed is None)
        deciding = await deciding_checks(reads.incidents, inc, events)
        checks = deciding[1] if deciding else await reads.incidents.checks(inc.id, inc.round)
        decider = next((e for e in reversed(_decisions(events)) if e.actor_id is not None), None)
        signed = v.local(end)
        assert signed is not None
        kop = pdf.letterhead(self.config.office, self.config.signatory, self.lang, signed.date())
        return kop | {
            "id": str(inc.id),
            "tag": inc.tag,
            "year": str(signed.year),
            "opening": day_in_words(signed.date(), self.lang),
            "closed": closed is not None,
            "start": v.when(start),
            "end": v.when(closed) if closed else "",
            "now": v.when(now),
            "monitored": inc.found_by == "monitor",
            "office_minutes": round(total.seconds / 60),
            "all_minutes": round(total.wall_seconds / 60),
            "paused": total.paused,
            "within": total.within,
            "std": f"{timing.total_standard(self.config.sla.total_minutes)[1]:g}",
            "fault": fault_view(self.paths.locate(inc.site, checks)),
            "checks": [_step(s) for s in v.steps(checks, official=True)] if checks else [],
            "sites": sorted({s for s in [inc.site, *(c.site for c in complaints)] if s}),
            "services": _unanswered(checks),
            "complaints": [self._complaint(c) for c in complaints],
            "calls": await self._calls(inc),
            "decision": _decision_word(decider),
            "decided": v.when(decider.at) if decider else "",
            "note": inc.note or "",
            "adb": self._signer(decider),
        }

    async def _calls(self, inc: Incident) -> list[dict[str, str]]:
        """Step 11: each third party called, by whom, its ticket, when it was repaired."""
        v = self.views
        return [
            {
                "vendor": c.vendor,
                "called": self._short(c.called_at),
                "by": v.person(c.called_by_id, c.called_by_name),
                "ticket": c.ticket or "",
                "fixed": self._short(c.fixed_at),
            }
            for c in await self.db.reads.incidents.vendor_calls(inc.id)
        ]

    def _signer(self, decider: Event | None) -> dict[str, str]:
        """The ADB who decided, as [[staff]] names them (name, NIP, position)."""
        if decider is None:
            return {"name": "", "nip": "", "position": ""}
        staff = next((s for s in self.config.staff if s.telegram_id == decider.actor_id), None)
        return {
            "name": self.views.person(decider.actor_id, decider.actor_name),
            "nip": staff.nip if staff else "",
            "position": staff.position if staff else "",
        }

    def _short(self, t: datetime | None) -> str:
        """ "02/03/2026 08.00 WIB": a moment in a table's narrow column."""
        lt = self.views.local(t)
        return f"{short_moment(lt, self.lang)} {zone_name(lt)}" if lt else ""

    def _complaint(self, c: Complaint) -> dict[str, str]:
        text = " ".join(c.text.split())
        return {
            "tag": c.tag,
            "received": self._short(c.created_at),
            "reporter": self.views.person(c.reporter_id, c.reporter_name),
            "site": c.site or "",
            "text": text if len(text) <= TEXT else text[: TEXT - 1].rstrip() + "…",
        }


def _decisions(events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.kind == EventKind.DECISION]


def _decision_word(e: Event | None) -> str:
    """The last step-7 answer as a key of the template's words ("ya", "tidak", "")."""
    action = str(e.detail.get("action", "")) if e else ""
    return action if action in (Action.YES, Action.NO, Action.RECHECK) else ""


def _step(s: dict[str, Any]) -> dict[str, Any]:
    """One of steps 2-6 as the document's table prints it: the SOP's name, the status, and
    the failed and warning findings in the ADB prompt's words."""
    return {
        "no": str(s["no"]),
        "name": s["sop_name"],
        "status": s["status"] or "skipped",  # a step that never ran
        "findings": [f["text"] for f in s["findings"] if f["severity"] in ("fail", "warn")],
        "more": s["more"],
    }


def _unanswered(checks: Sequence[CheckResult]) -> list[str]:
    """The services and targets that did not answer in the deciding round (by name)."""
    names = [
        f.subject
        for r in checks
        if r.step in (SOFTWARE, PING, SERVICES)
        for f in r.findings
        if f.severity == Status.FAIL and f.subject
    ]
    return list(dict.fromkeys(names))
