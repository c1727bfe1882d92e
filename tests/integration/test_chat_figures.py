"""The chat's figures against an oracle: /agenda, /lacak, the JF ADB and Kabid reports.

Hypothesis drives random histories through the real workflow (filings at random sites,
joins, /pisah, /gabung, Ya/Tidak/Cek ulang, the third party called and done, /tutup,
deliveries by the real sender over the Bot API stand-in, restarts on the same SQLite
file) at times inside and outside office hours, across midnight and month ends (WIB).
After every step the oracle (``tests/support/chat_oracle.py``) recomputes the figures
from the raw ``complaints`` and ``timeline`` tables (sqlite3, not our queries, not
``bot.domain.timing``),
and the rendered /agenda, each complaint's /lacak and each new report must show exactly
those figures: counts, sites, times, each step's time, its mark and whether it still
runs (the steps running are also checked against each complaint's state). The figures
are found by their labels, so lines added to the reports do not matter.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from telegram import Bot

from bot.delivery.sender import Sender
from bot.domain.model import Action, Actor, Role
from bot.services import Services, build_services
from bot.settings.office import OfficeConfig
from bot.sop.workflow import Press
from bot.storage import Database
from checks import redact
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.chat_oracle import (
    CLOSING,
    OFFICE_TOML,
    OPENING,
    STATE_WORDS,
    TZ,
    check_agenda,
    check_report,
    check_running,
    check_steps,
    expected_agenda,
    expected_steps,
    expected_total,
    table,
    utc,
)
from tests.support.clock import FakeClock
from tests.support.e2e import FAST_OUTBOX
from tests.support.office import ADB_ID, make_settings
from tests.support.sop import InstantAgent, outcome

SITES = ("Kantor Dinas", "Kecamatan Bayang", "Kecamatan Koto XI Tarusan", None)
CONFIG = (
    OFFICE_TOML
    + """
[[sites]]
name = "Kantor Dinas"

[[sites]]
name = "Kecamatan Bayang"

[[sites]]
name = "Kecamatan Koto XI Tarusan"

[[vendors]]
name = "Telkom Indihome"
phone = "147"

[limits]
complaints_per_user = 0

[grouping]
window_minutes = 15
"""
)
STAFF = Press(
    Actor(ADB_ID, "Andi ADB"), frozenset({Role.USER, Role.ADB, Role.JF_ADB}), ADB_ID, None
)

# --- the world: the SOP's services, the sender, restarts --------------------------------------


@dataclass
class World:
    """The services on one SQLite file with a fake clock, and the real sender."""

    path: Path
    clock: FakeClock
    stub: BotApiStub
    services: Services | None = None
    sender: Sender | None = None
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    reports_seen: int = 0
    seen: Counter[str] = field(default_factory=Counter)  # what the example reached

    @property
    def s(self) -> Services:
        assert self.services is not None
        return self.services

    async def open(self) -> None:
        config = parse_config(CONFIG, model=OfficeConfig)
        agent = InstantAgent(self.clock)
        db = await self.stack.enter_async_context(Database(self.path, self.clock))
        bot = await self.stack.enter_async_context(
            Bot(self.stub.token, base_url=self.stub.base_url)
        )
        self.services = build_services(
            make_settings(self.path, self.stub.token, self.stub.base_url),
            config,
            db,
            agent_for=lambda site: agent,
            clock=self.clock,
        )
        self.sender = Sender(db, bot, self.services.queue, options=FAST_OUTBOX)
        await self.services.diagnoses.resume()

    async def close(self) -> None:
        await self.s.diagnoses.stop()
        await self.stack.aclose()
        self.stack = AsyncExitStack()

    def ids(self, sql: str) -> list[int]:
        return [r[0] for r in table(self.path, sql)]

    def pick(self, sql: str, i: int) -> int | None:
        ids = self.ids(sql)
        return ids[i % len(ids)] if ids else None


@asynccontextmanager
async def world(path: Path, start: datetime) -> AsyncIterator[World]:
    with BotApiStub() as stub:
        redact.install([stub.token])
        w = World(path, FakeClock(start), stub)
        await w.open()
        try:
            yield w
        finally:
            await w.close()


INCIDENTS = "SELECT id FROM incidents ORDER BY id"
COMPLAINTS = "SELECT id FROM complaints ORDER BY id"


async def step(w: World, op: tuple[Any, ...], n: int) -> None:
    """One thing that happens: someone files, waits, decides, ..."""
    kind, *args = op
    wf = w.s.workflow
    if kind == "file":
        who = Actor(7000 + n, f"Pelapor {n}")
        site = SITES[args[0]]
        await wf.file(
            reporter=who, reporter_chat_id=who.id, channel="chat", site=site, text=f"mati {n}"
        )
    elif kind == "wait":
        w.clock.advance(seconds=args[0])
    elif kind == "until":  # the next opening, closing or midnight (WIB), to the second
        local = w.clock().astimezone(TZ)
        at = [
            datetime.combine(local.date() + timedelta(days=d), t, TZ)
            for d in (0, 1)
            for t in (OPENING, CLOSING, time(0))
        ]
        w.clock.now = min(t for t in at if t > local).astimezone(UTC) + timedelta(seconds=args[0])
    elif kind == "deliver":
        assert w.sender is not None
        await asyncio.wait_for(w.sender.drain(), 30)
    elif kind == "restart":
        await w.close()
        await w.open()
    elif kind in ("split", "dismiss"):
        cid = w.pick(COMPLAINTS, args[0])
        if cid is not None:
            if kind == "split":
                await outcome(wf.split(cid, STAFF))
            else:
                await outcome(wf.dismiss(cid, "bukan gangguan jaringan", STAFF))
    else:
        iid = w.pick(INCIDENTS, args[0])
        if iid is None:
            return
        if kind == "decide":
            await outcome(wf.decide(iid, Action(args[1]), STAFF))
        elif kind == "vendor":
            await outcome(wf.call_vendor(iid, "0", STAFF))
        elif kind == "fixed":
            await outcome(wf.fixed(iid, STAFF))
        elif kind == "merge":
            other = w.pick(INCIDENTS, args[1])
            assert other is not None
            await outcome(wf.merge(iid, other, STAFF))


async def check(w: World) -> None:
    """Every report sent since the last look, then /agenda, against the oracle."""
    now = w.clock()
    for r in table(
        w.path,
        "SELECT id, complaint_id, incident_id, purpose, payload FROM outbox WHERE id > ?"
        " AND method='sendMessage' AND (purpose LIKE 'jf_report%' OR purpose LIKE"
        " 'kabid_report%') ORDER BY id",
        w.reports_seen,
    ):
        w.reports_seen = r["id"]
        received = [
            utc(c["created_at"])
            for c in table(
                w.path,
                "SELECT created_at FROM complaints WHERE incident_id=? AND dismissed IS NULL",
                r["incident_id"],
            )
        ]
        this_step = 8 if r["purpose"].startswith("jf_report") else 9
        total = expected_total(min(t for t in received if t is not None), now)
        steps = expected_steps(w.path, r["complaint_id"], now, this_step)
        check_report(json.loads(r["payload"])["text"], total, steps)
        [lead] = table(w.path, "SELECT state FROM complaints WHERE id=?", r["complaint_id"])
        check_running(lead["state"], steps, r["purpose"])
        w.seen.update(
            [f"report {this_step}", f"total {total.mark}"]
            + [f"step {no} {e.mark}" for no, e in steps.items()]
            + (["total paused"] if total.wall - total.seconds >= 1 else [])
            + (["group"] if len(received) > 1 else [])
        )
    figures = expected_agenda(w.path, now)
    check_agenda(await w.s.queries.agenda_text(now), figures)
    w.seen.update(
        ["agenda open"] * bool(figures.open)
        + ["agenda closed"] * bool(figures.closed)
        + ["agenda dismissed"] * bool(figures.dismissed)
    )


async def check_histories(w: World, newest_only: bool) -> None:
    """/lacak as staff see it: each complaint's status and its time in each step."""
    now = w.clock()
    rows = table(w.path, "SELECT id, state, dismissed FROM complaints ORDER BY id")
    for c in rows[-1:] if newest_only else rows:
        complaint = await w.s.queries.complaint(c["id"])
        assert complaint is not None
        text = await w.s.queries.history_text(complaint, full=True)
        status = "dismissed" if c["dismissed"] is not None else c["state"]
        assert f"Status: <b>{STATE_WORDS[status]}</b>" in text, text
        steps = expected_steps(w.path, c["id"], now, this_step=0)
        check_steps(text, steps)
        check_running(c["state"], steps, f"/lacak {c['id']}")
    w.seen.update(["history"] * len(rows))


async def run(ops: list[tuple[Any, ...]], start: datetime) -> Counter[str]:
    """Play ``ops`` from ``start``, checking after each; what the history reached."""
    with tempfile.TemporaryDirectory() as tmp:
        async with world(Path(tmp) / "netmaint.db", start) as w:
            for n, op in enumerate(ops):
                await step(w, op, n)
                await check(w)  # the reports first: they are what was sent just now
                await w.s.diagnoses.idle()
                await check(w)
                await check_histories(w, newest_only=True)
            await check_histories(w, newest_only=False)
            return w.seen


# --- strategies ------------------------------------------------------------------------------

STARTS = (
    datetime(2026, 3, 31, 15, 50, tzinfo=TZ),  # Tuesday, the month's last day, near closing
    datetime(2026, 2, 27, 23, 40, tzinfo=TZ),  # Friday night before a weekend and March
    datetime(2026, 4, 30, 7, 20, tzinfo=TZ),  # Thursday, before opening, the month's last day
    datetime(2026, 3, 2, 8, 0, tzinfo=TZ),  # Monday, office hours
)
MINUTES = (1, 2, 4, 5, 6, 11, 30, 74, 200, 480, 1440, 2900)
actions = st.sampled_from([str(a) for a in (Action.YES, Action.YES, Action.NO, Action.RECHECK)])
NONE: st.SearchStrategy[tuple[Any, ...]] = st.just(())
INCIDENT, COMPLAINT = st.integers(0, 9), st.integers(0, 19)  # an index into the ids there are
ARGS: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "file": st.tuples(st.integers(0, len(SITES) - 1)),
    "wait": st.tuples(
        st.one_of(st.sampled_from(MINUTES).map(lambda m: m * 60), st.integers(1, 600))
    ),
    "until": st.tuples(st.integers(-90, 90)),
    "decide": st.tuples(INCIDENT, actions),
    "split": st.tuples(COMPLAINT),
    "merge": st.tuples(INCIDENT, INCIDENT),
    "vendor": st.tuples(INCIDENT),
    "fixed": st.tuples(INCIDENT),
    "dismiss": st.tuples(COMPLAINT),
    "deliver": NONE,
    "restart": NONE,
}
# How often each happens: people file and decide more often than they split or restart.
KINDS = [*["file"] * 4, *["decide"] * 4, *["wait"] * 3, "until", "split", "merge"]
KINDS += ["vendor", "vendor", "fixed", "fixed", "dismiss", "deliver", "deliver", "restart"]
ops = st.sampled_from(KINDS).flatmap(lambda k: ARGS[k].map(lambda a: (k, *a)))
files = ARGS["file"].map(lambda a: ("file", *a))

# Each history starts with a filing: most of what follows needs a complaint.
histories = st.builds(lambda first, rest: [first, *rest], files, st.lists(ops, max_size=25))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# /agenda listed a complaint closed by /tutup under "Selesai hari ini", the network's
# closings, where the Buku Agenda and the Rekapitulasi count it apart; and its /lacak
# showed step 7 (the decision) still running after it was closed.
@example(history=[("file", 0), ("dismiss", 0)], start=STARTS[3])
# Two complaints of one outage on the month's last day: "Tidak" just after closing time,
# the third party called, fixed on the office's day off after midnight, then "Ya".
@example(
    history=[
        ("file", 0),
        ("wait", 120),
        ("file", 0),
        ("deliver",),
        ("until", 30),
        ("decide", 0, "tidak"),
        ("deliver",),
        ("vendor", 0),
        ("until", -60),
        ("until", 1),
        ("restart",),
        ("wait", 600),
        ("fixed", 0),
        ("wait", 7 * 60),
        ("decide", 0, "ya"),
        ("deliver",),
    ],
    start=STARTS[0],
)
# Long past the standard in office hours: "Tidak" late, the vendor, then "Ya" the next day.
@example(
    history=[
        ("file", 2),
        ("deliver",),
        ("wait", 74 * 60),
        ("decide", 0, "tidak"),
        ("vendor", 0),
        ("deliver",),
        ("wait", 480 * 60),
        ("fixed", 0),
        ("decide", 0, "ya"),
    ],
    start=STARTS[3],
)
# /pisah and /gabung, a re-check, a restart, and the agenda after midnight. The split
# complaint's step 7 ran twice at once (the old decision never ended, the new one started).
@example(
    history=[
        ("file", 1),
        ("file", 1),
        ("split", 1),
        ("wait", 45),
        ("merge", 0, 1),
        ("decide", 0, "cek_ulang"),
        ("restart",),
        ("wait", 6 * 60),
        ("decide", 0, "ya"),
        ("file", 3),
        ("dismiss", 2),
        ("until", 0),
    ],
    start=STARTS[1],
)
@given(histories, st.sampled_from(STARTS))
def test_the_chat_shows_the_figures_the_raw_timeline_gives(
    history: list[tuple[Any, ...]], start: datetime
) -> None:
    for what in asyncio.run(run(history, start.astimezone(UTC))):
        event(what)
