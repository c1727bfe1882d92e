"""A period's complaints as the documents print them: one row each, and the recap's figures.

Everything comes from the storage layer's read queries (``bot/storage/documents.py``);
names come from ``[[staff]]`` when the person is listed there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.documents.period import Period
from bot.domain import timing
from bot.domain.calendar import OfficeCalendar
from bot.domain.decisive import deciding_round
from bot.settings.office import Staff
from bot.storage import Complaint, Database
from bot.storage.documents import Decision, Finder
from checks.models import CheckResult


class People:
    """Names on documents: the ``[[staff]]`` entry for a Telegram id, else the Telegram name."""

    def __init__(self, staff: Iterable[Staff]) -> None:
        self._by_id = {s.telegram_id: s for s in staff}

    def name(self, telegram_id: int | None, fallback: str | None) -> str:
        s = self._by_id.get(telegram_id) if telegram_id is not None else None
        return s.name if s else (fallback or "")


@dataclass(frozen=True, slots=True)
class AgendaRow:
    """One complaint in the Buku Agenda (all times local)."""

    no: int
    complaint_id: int
    incident_id: int | None
    received: datetime
    closed: datetime | None
    reporter: str
    logged_by: str  # the ADB who logged a phone call (/catat), else ""
    site: str
    text: str
    verdict: str  # the last diagnosis run's verdict: ok, warn, fail, error; "" if none
    decisions: tuple[str, ...]  # every step-7 answer: ya, tidak, cek_ulang
    officer: str  # who gave the last answer
    state: str
    vendors: tuple[str, ...]
    tickets: tuple[str, ...]
    minutes: float | None  # receipt to closing
    within: bool | None  # closed within the SOP's total standard time
    recovery: str = ""  # after Ya, was a database recovery done: "ya", "tidak"; "" unasked
    findings: tuple[str, ...] = ()  # what decided the outage (bot.domain.decisive), worded
    found: Found | None = None  # how the outage was found, for a complaint that joined it


@dataclass(frozen=True, slots=True)
class Found:
    """How a row's outage came to the office: monitoring, or another complaint's reporter."""

    monitored: bool
    by: str
    at: datetime  # local


@dataclass(frozen=True, slots=True)
class Agenda:
    """What a document prints for ``period``."""

    period: Period
    rows: tuple[AgendaRow, ...]
    standard_minutes: float
    site: str | None = None
    office_time: bool = False  # "within" counts office hours only (the SOP clock pauses)


# The words of a round's decisive findings (``Views.decisive``, in the document's language).
Describe = Callable[[Sequence[CheckResult]], Sequence[str]]


async def gather(
    db: Database,
    period: Period,
    people: People,
    standard_minutes: float,
    calendar: OfficeCalendar | None = None,
    *,
    site: str | None = None,
    open_before: bool = False,
    describe: Describe | None = None,
) -> Agenda:
    """The complaints received in ``period`` (and, with ``open_before``, older open ones).

    "Within the standard" is the chat reports' (``timing.total``): office time on
    ``calendar`` against ``standard_minutes``; the minutes column is the elapsed time,
    as the row's received and closed times show it."""
    reads = db.reads.documents
    start, end = period.start, period.end
    complaints = await reads.complaints(start, end)
    if open_before:
        complaints = await reads.open_before(start) + complaints
    if site is not None:
        complaints = [c for c in complaints if (c.site or "").casefold() == site.casefold()]
    lo = min((c.created_at for c in complaints), default=start)
    decisions = await reads.decisions(min(lo, start), end)
    decided: dict[int, list[tuple[str, str]]] = {}
    for d in decisions:
        decided.setdefault(d.complaint_id, []).append(
            (d.action, people.name(d.actor_id, d.actor_name))
        )
    # A complaint that joined an outage after the ADB's answer shares the outage's answer.
    by_incident: dict[int, list[tuple[str, str]]] = {}
    for c in complaints:
        if c.incident_id is not None and decided.get(c.id):
            by_incident.setdefault(c.incident_id, decided[c.id])
    # The recovery answer of the outage a complaint is in now (one that joined after the
    # answer shares it; one that left for a new outage does not take the old one along).
    recovered = {
        r.incident_id: r.answer
        for r in reversed(await reads.recoveries(min(lo, start), end))
        if r.incident_id is not None
    }
    verdicts = {v.complaint_id: v.verdict for v in await reads.verdicts(min(lo, start), end)}
    decisive = await _decisive(db, complaints, decisions, min(lo, start), end, describe)
    finders = {f.incident_id: f for f in await reads.finders(min(lo, start), end)}
    calls: dict[int, list[tuple[str, str]]] = {}
    for v in await reads.vendor_calls(min(lo, start), end):
        calls.setdefault(v.incident_id, []).append((v.vendor, v.ticket or ""))
    tz = period.tz
    rows = []
    for no, c in enumerate(complaints, 1):
        outage = None if c.dismissed else c.incident_id  # /tutup: not the outage's
        answers = decided.get(c.id) or (by_incident.get(outage, []) if outage is not None else [])
        vc = calls.get(outage, []) if outage is not None else []
        # Closed as not a network fault (/tutup): listed, but counted apart from the SOP's time.
        minutes = (
            (c.closed_at - c.created_at).total_seconds() / 60
            if c.closed_at is not None and not c.dismissed
            else None
        )
        rows.append(
            AgendaRow(
                no=no,
                complaint_id=c.id,
                incident_id=c.incident_id,
                received=c.created_at.astimezone(tz),
                closed=c.closed_at.astimezone(tz) if c.closed_at else None,
                reporter=people.name(c.reporter_id, c.reporter_name),
                logged_by=people.name(c.filed_by_id, c.filed_by_name) if c.filed_by_name else "",
                site=c.site or "",
                text=c.text,
                verdict=verdicts.get(c.id, ""),
                decisions=tuple(a for a, _ in answers),
                officer=answers[-1][1] if answers else "",
                state="dismissed" if c.dismissed else str(c.state),
                vendors=tuple(dict.fromkeys(v for v, _ in vc)),
                tickets=tuple(t for _, t in vc if t),
                minutes=minutes,
                within=None
                if minutes is None or c.closed_at is None
                else timing.total(
                    c.created_at, c.closed_at, calendar, standard=standard_minutes
                ).within,
                recovery=recovered.get(c.incident_id, "")
                if c.incident_id is not None and not c.dismissed
                else "",
                findings=decisive.get(outage, ()) if outage is not None else (),
                found=_found(finders.get(outage), c.id, people, tz) if outage is not None else None,
            )
        )
    return Agenda(
        period=period,
        rows=tuple(rows),
        standard_minutes=standard_minutes,
        site=site,
        office_time=calendar is not None and calendar.paused,
    )


async def _decisive(
    db: Database,
    complaints: Sequence[Complaint],
    decisions: Sequence[Decision],
    start: datetime,
    end: datetime,
    describe: Describe | None,
) -> dict[int, tuple[str, ...]]:
    """Each incident's decisive findings in words (none without ``describe``)."""
    if describe is None:
        return {}
    incident_of = {c.id: c.incident_id for c in complaints}
    rounds: dict[int, dict[int, list[CheckResult]]] = {}
    for rr in await db.reads.documents.round_results(start, end):
        rounds.setdefault(rr.incident_id, {}).setdefault(rr.round, []).append(rr.result)
    answers: dict[int | None, list[tuple[int | None, str]]] = {}
    for d in decisions:
        answers.setdefault(incident_of.get(d.complaint_id), []).append((d.round, d.action))
    out: dict[int, tuple[str, ...]] = {}
    for iid, by_round in rounds.items():
        chosen = deciding_round(by_round, answers.get(iid, []))
        if chosen is not None:
            out[iid] = tuple(describe(by_round[chosen]))
    return out


def _found(f: Finder | None, complaint_id: int, people: People, tz: tzinfo) -> Found | None:
    """How the outage was found, unless this row is the one that opened it (its reporter,
    "netmaint (pemantauan)" for monitoring, and its receipt say it)."""
    if f is None or f.complaint_id == complaint_id:
        return None
    return Found(f.monitored, people.name(f.reporter_id, f.reporter_name), f.at.astimezone(tz))


def local_now(now: datetime, tz: tzinfo) -> datetime:
    return now.astimezone(tz)
