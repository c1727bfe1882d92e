"""A month (or a year) of a civil-registry office's complaints, written through the storage layer.

Each complaint gets the timeline the workflow writes: filing (step 1), the agenda entry
(step 10), the checks (steps 2-6) and their verdict, the ADB's decision (step 7) by a
named ADB, the JF ADB report (step 8) and a third party (step 11) for some, the Kabid
report (step 9) and the closing for most; some are still open at the end. Storms of
complaints about one site share one incident. The plan returned says what was written,
so tests compute the expected figures from it, not from the code under test.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from bot.documents.breaks import plain
from bot.domain.model import Actor, State
from bot.storage import Database
from bot.storage.db import Tx

TZ = ZoneInfo("Asia/Jakarta")
SITES = (
    ("Kantor Dinas", 30),
    ("Kecamatan Koto XI Tarusan", 14),
    ("Kecamatan IV Jurai", 12),
    ("Kecamatan Bayang", 10),
    ("Kecamatan Lengayang", 8),
    ("Kecamatan Sutera", 6),
    ("Kecamatan Pancung Soal", 5),
    ("Kecamatan Lunang", 4),
)
REPORTERS = (
    "Rina Marlina",
    "Yusuf Hamdani",
    "Siti Rahmah",
    "Dedi Putra",
    "Nurhayati",
    "Fitri Yani",
    "Hendra Gunawan",
    "Rahmat Hidayat",
    "Wulan Sari",
    "Ilham Syah",
)
ADBS = ((5001, "andi_adb"), (5002, "Bayu"))  # Telegram names; [[staff]] lists 5001
JF = (9100, "Joko JF")
VENDORS = ("Telkom Indihome", "Lintasarta")
TEXTS = (
    "SIAK tidak bisa dibuka di loket {n}",
    "Jaringan lambat, cetak KTP-el gagal",
    "Tidak bisa login aplikasi SIAK",
    "Internet putus sejak pagi",
    "Server e-KTP tidak merespon, antrean menumpuk",
    "Ping ke server dinas RTO",
)
SPECIAL = {
    3:  # the 3rd and 5th complaint of each month
    '=HYPERLINK("http://evil.example/x","klik")',
    5: "Printer\x1b[31m merah\x07 bunyi\rtertimpa",
}


@dataclass
class Planned:
    """One complaint as written (times UTC)."""

    id: int
    incident: int
    site: str
    reporter_id: int
    reporter: str
    created: datetime
    closed: datetime | None
    decider_id: int | None
    decisions: list[str]
    vendor: str | None
    ticket: str | None
    text: str
    state: State

    @property
    def minutes(self) -> float | None:
        return None if self.closed is None else (self.closed - self.created).total_seconds() / 60


def _tx(db: Database, at: datetime) -> Tx:
    """Storage writes as of ``at``, inside the caller's open transaction."""
    return Tx(db.connection, at)


def _working_days(year: int, month: int) -> list[date]:
    d, out = date(year, month, 1), []
    while d.month == month:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


async def seed(
    db: Database, months: list[tuple[int, int]], per_month: int | list[int], seed_: int = 12
) -> list[Planned]:
    """Write ``per_month`` complaints in each month (or so many in each); return the plan."""
    counts = per_month if isinstance(per_month, list) else [per_month] * len(months)
    rng = random.Random(seed_)
    sites = [s for s, _ in SITES]
    weights = [w for _, w in SITES]
    plan: list[Planned] = []
    last_incident: dict[str, tuple[int, datetime, Planned]] = {}
    async with db.write():
        for (year, month), count in zip(months, counts, strict=True):
            days = _working_days(year, month)
            stamps = sorted(
                datetime.combine(rng.choice(days), time(7, 30), TZ)
                + timedelta(minutes=rng.uniform(0, 8 * 60))
                for _ in range(count)
            )
            for k, t0 in enumerate(stamps, 1):
                t = t0.astimezone(UTC)
                site = rng.choices(sites, weights)[0]
                n = len(plan) + 1
                text = SPECIAL.get(k) or rng.choice(TEXTS).format(n=rng.randint(1, 4))
                ri = rng.randrange(len(REPORTERS))
                reporter = Actor(7000 + ri, REPORTERS[ri])
                phone = rng.random() < 0.15
                adb = Actor(*ADBS[rng.randrange(2)])
                prev = last_incident.get(site)
                joins = (
                    prev is not None
                    and (t - prev[1]) < timedelta(minutes=20)
                    and prev[2].state is State.CLOSED
                    and rng.random() < 0.7
                )
                tx = _tx(db, t)
                if joins:
                    assert prev is not None
                    iid, lead = prev[0], prev[2]
                else:
                    iid = await tx.incidents.add(site, State.DIAGNOSING)
                cid = await tx.complaints.add(
                    state=State.DIAGNOSING,
                    reporter=reporter,
                    reporter_chat_id=None if phone else reporter.id,
                    channel="catat" if phone else "chat",
                    site=site,
                    text=text,
                    filed_by=adb if phone else None,
                    incident_id=iid,
                )
                assert cid == n
                c = tx.complaints
                await c.event(
                    cid,
                    "filed",
                    actor=adb if phone else reporter,
                    channel="catat" if phone else "chat",
                )
                for step in (1,):
                    await c.event(cid, "step_start", step=step)
                    await c.event(cid, "step_end", step=step)
                await c.event(cid, "step_start", step=10)
                p = Planned(
                    cid,
                    iid,
                    site,
                    reporter.id,
                    reporter.name,
                    t,
                    None,
                    None,
                    [],
                    None,
                    None,
                    text,
                    State.DIAGNOSING,
                )
                if joins:  # the outage's outcome is shared: it was closed already
                    assert prev is not None
                    p.closed, p.decider_id, p.decisions = t, lead.decider_id, []
                    await c.set_state(cid, State.DIAGNOSING, State.CLOSED)
                    await c.event(cid, "joined", incident=iid, count=2)
                    await c.event(cid, "step_end", step=10)
                    p.state = State.CLOSED
                    plan.append(p)
                    continue
                await _diagnose(db, rng, cid, iid, t, 1)
                # Step 7: when the ADB answers, and what.
                roll = rng.random()
                decide_at = t + timedelta(minutes=rng.uniform(8, 25))
                if roll < 0.06:  # still awaiting the decision at the month's end
                    await _move(db, decide_at, cid, iid, State.DIAGNOSING, State.AWAITING_DECISION)
                    p.state = State.AWAITING_DECISION
                elif roll < 0.78:  # Ya: closed, within the standard or late
                    late = rng.random() < 0.2
                    close = t + timedelta(
                        minutes=rng.uniform(80, 300) if late else rng.uniform(15, 70)
                    )
                    await _move(db, decide_at, cid, iid, State.DIAGNOSING, State.AWAITING_DECISION)
                    await _decide(db, close, cid, iid, adb, "ya", State.CLOSED)
                    p.closed, p.decider_id, p.decisions = close, adb.id, ["ya"]
                    p.state = State.CLOSED
                else:  # Tidak: the JF ADB; a vendor for some; fixed later, then Ya
                    await _move(db, decide_at, cid, iid, State.DIAGNOSING, State.AWAITING_DECISION)
                    await _decide(
                        db,
                        decide_at + timedelta(minutes=3),
                        cid,
                        iid,
                        adb,
                        "tidak",
                        State.ESCALATED,
                    )
                    p.decisions, p.decider_id, p.state = ["tidak"], adb.id, State.ESCALATED
                    at = decide_at + timedelta(minutes=10)
                    if rng.random() < 0.6:
                        vendor = rng.choice(VENDORS)
                        tx = _tx(db, at)
                        await tx.incidents.add_vendor_call(iid, vendor, JF[0], JF[1])
                        await tx.incidents.set_state(iid, State.ESCALATED, State.VENDOR)
                        await tx.complaints.set_state(cid, State.ESCALATED, State.VENDOR)
                        await tx.complaints.event(
                            cid, "vendor_call", actor=Actor(*JF), step=11, vendor=vendor
                        )
                        ticket = f"INC-{rng.randint(1000, 9999)}"
                        await tx.incidents.set_ticket(iid, ticket)
                        p.vendor, p.ticket, p.state = vendor, ticket, State.VENDOR
                    if rng.random() < 0.8:  # fixed, re-checked, Ya
                        fixed = at + timedelta(hours=rng.uniform(1, 30))
                        await _move(db, fixed, cid, iid, p.state, State.DIAGNOSING)
                        tx = _tx(db, fixed)
                        await tx.incidents.vendor_fixed(iid)
                        await _diagnose(db, rng, cid, iid, fixed, 2)
                        await _move(
                            db,
                            fixed + timedelta(minutes=12),
                            cid,
                            iid,
                            State.DIAGNOSING,
                            State.AWAITING_DECISION,
                        )
                        close = fixed + timedelta(minutes=15)
                        await _decide(db, close, cid, iid, adb, "ya", State.CLOSED)
                        p.closed, p.decisions, p.state = close, ["tidak", "ya"], State.CLOSED
                plan.append(p)
                last_incident[site] = (iid, t, p)
    return plan


async def _diagnose(
    db: Database, rng: random.Random, cid: int, iid: int, t: datetime, round_: int
) -> None:
    c = _tx(db, t).complaints
    at = t
    for step in (2, 3, 4, 5, 6):
        await c.event(cid, "step_start", step=step, round=round_, at=at)
        at += timedelta(seconds=rng.uniform(1, 40))
        await c.event(cid, "step_end", step=step, round=round_, at=at)
    await c.event(
        cid, "diagnosis", round=round_, at=at, verdict=rng.choice(("ok", "ok", "warn", "fail"))
    )


async def _move(db: Database, at: datetime, cid: int, iid: int, old: str, new: str) -> None:
    tx = _tx(db, at)
    await tx.incidents.set_state(iid, old, new)
    await tx.complaints.set_state(cid, old, new)
    await tx.complaints.event(cid, "state", state_from=old, state_to=new)
    if new == State.AWAITING_DECISION:
        await tx.complaints.event(cid, "step_start", step=7)


async def _decide(
    db: Database, at: datetime, cid: int, iid: int, adb: Actor, action: str, new: State
) -> None:
    tx = _tx(db, at)
    await tx.incidents.set_state(iid, State.AWAITING_DECISION, new)
    await tx.complaints.set_state(cid, State.AWAITING_DECISION, new)
    await tx.complaints.event(cid, "decision", actor=adb, step=7, action=action)
    await tx.complaints.event(cid, "step_end", actor=adb, step=7)
    report = 9 if new is State.CLOSED else 8
    await tx.complaints.event(cid, "step_start", step=report)
    await tx.complaints.event(cid, "step_end", step=report)
    if new is State.CLOSED:
        await tx.complaints.event(cid, "step_end", step=10)


async def seed_file(path: Path, months: list[tuple[int, int]], per_month: int) -> list[Planned]:
    async with Database(path) as db:
        return await seed(db, months, per_month)


def pdf_text(data: bytes) -> str:
    """A PDF's text as one line, without the soft hyphens and breaks of the table cells."""
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return " ".join(plain(text).split())
