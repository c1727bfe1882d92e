"""The SOP's clock with an injected clock: reminders, escalation, the office calendar.

Real SOP services on a real SQLite file; time only moves when the test moves it, and
``Deadlines.tick`` is what the bot's clock task calls.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.model import Action, Actor, Role
from bot.domain.outcomes import Outcome
from bot.render import buttons
from bot.services import Services, build_services
from bot.settings.office import OfficeConfig
from bot.sop.workflow import Press
from bot.storage import Database
from checks.config import parse_config
from tests.support.clock import FakeClock
from tests.support.office import ADB2_ID, ADB_ID, JF_CHAT, KABID_CHAT, make_settings
from tests.support.sop import InstantAgent, outcome

WIB = ZoneInfo("Asia/Jakarta")
ADB = Press(Actor(ADB_ID, "Andi ADB"), frozenset({Role.USER, Role.ADB}), ADB_ID, 1)
JF = Press(Actor(9100, "Joko JF"), frozenset({Role.USER, Role.JF_ADB}), JF_CHAT, 2)
CONFIG = """
[[vendors]]
name = "Telkom"

[office]
working_days = ["mon", "tue", "wed", "thu", "fri"]
hours = "07:30-16:00"
national_holidays = "ID"
days_off = ["2026-12-24"]

[sla]
# decision_minutes and total_minutes left out: the SOP's standard times (5 and 73)
remind_every_minutes = 5
escalate_decision_minutes = 10
vendor_follow_up_hours = 4
"""


class World:
    """Services on one database with a clock the test moves; ``restart`` builds them anew."""

    def __init__(self, path: Path, start: datetime, config: str = CONFIG) -> None:
        self.path, self.clock = path, FakeClock(start)
        self.config = parse_config(config, model=OfficeConfig)

    async def __aenter__(self) -> World:
        self.db = Database(self.path, self.clock)
        await self.db.open()
        agent = InstantAgent()
        self.s: Services = build_services(
            make_settings(self.path),
            self.config,
            self.db,
            agent_for=lambda site: agent,
            clock=self.clock,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.s.diagnoses.stop()
        await self.db.close()

    async def at(self, when: datetime) -> None:
        """Move the clock to ``when`` and let the SOP's clock look."""
        self.clock.now = when
        await self.s.deadlines.tick()

    async def file(self) -> int:
        cid = await self.s.workflow.file(
            reporter=Actor(7001, "Rina"),
            reporter_chat_id=7001,
            channel="chat",
            site=None,
            text="internet mati",
        )
        await self.s.diagnoses.idle()
        assert cid is not None
        return cid

    async def sent(self, purpose: str) -> list[tuple[int, dict]]:
        rows = await self.db.connection.execute_fetchall(
            "SELECT chat_id, payload FROM outbox WHERE purpose=? ORDER BY id", (purpose,)
        )
        return [(r[0], json.loads(r[1])) for r in rows]


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.fixture
async def monday(tmp_path: Path) -> AsyncIterator[World]:
    async with World(tmp_path / "n.db", wib(2026, 11, 30, 9, 0)) as w:  # a Monday
        yield w


async def test_reminders_then_escalation_once_then_nothing_after_the_decision(
    monday: World,
) -> None:
    w = monday
    await w.file()
    # The prompt reached each ADB: reminders reply to it there.
    async with w.db.write() as tx:
        for n, row in enumerate(await tx.outbox.sent_for_incident(1, "diagnosis:1")):
            await tx.outbox.done(row.id, "sent", message_id=500 + n)
    t0 = w.clock.now
    await w.at(t0 + timedelta(minutes=4, seconds=59))
    assert await w.sent("reminder") == []
    await w.at(t0 + timedelta(minutes=5))
    first = await w.sent("reminder")
    assert [c for c, _ in first] == [ADB_ID, ADB2_ID]
    assert [p["reply_parameters"]["message_id"] for _, p in first] == [500, 501]
    assert "#K1" in first[0][1]["text"] and "5 menit" in first[0][1]["text"]
    await w.at(t0 + timedelta(minutes=9))
    assert len(await w.sent("reminder")) == 2, "once per interval"
    assert await w.sent("escalate") == []
    await w.at(t0 + timedelta(minutes=10))
    assert len(await w.sent("reminder")) == 4, "again after remind_every_minutes"
    [(chat, notice)] = await w.sent("escalate")
    assert chat == JF_CHAT and "#K1" in notice["text"] and "terlambat" in notice["text"]
    await w.at(t0 + timedelta(minutes=12))
    assert len(await w.sent("escalate")) == 1, "escalation happens once"

    assert await outcome(w.s.workflow.decide(1, Action.YES, ADB)) == Outcome.OK
    for minutes in (15, 20, 80, 200):
        await w.at(t0 + timedelta(minutes=minutes))
    assert len(await w.sent("reminder")) == 4 and await w.sent("overdue") == []


async def test_a_clock_set_ahead_and_corrected_fires_nothing_early(monday: World) -> None:
    """Issue 19: set 2 h ahead and back, the JF ADB and the Kabid were told a 1-minute-old
    incident was late, recorded as sent, and the real notices never came."""
    w = monday
    t0 = w.clock.now
    await w.at(t0)  # the clock looked before the incident (it is anchored to that look)
    await w.file()
    w.clock.advance(minutes=1)
    for hours in (2, -2):  # ahead before the clock's next look, then corrected
        w.clock.step(hours=hours)
        await w.s.deadlines.tick()
        for purpose in ("reminder", "escalate", "overdue"):
            assert await w.sent(purpose) == [], f"{purpose} fired {hours:+} h early"
    await w.at(t0 + timedelta(minutes=5))
    assert len(await w.sent("reminder")) == 2, "the real reminder, at its time"
    await w.at(t0 + timedelta(minutes=10))
    [(chat, notice)] = await w.sent("escalate")
    assert chat == JF_CHAT and "10 menit" in notice["text"]
    # Set ahead again after the incident was seen: the Kabid hears at 73 min, not before.
    w.clock.step(hours=3)
    await w.s.deadlines.tick()
    assert await w.sent("overdue") == []
    w.clock.advance(minutes=62)
    await w.s.deadlines.tick()
    assert await w.sent("overdue") == [], "72 minutes have passed, not 3 h 72 min"
    w.clock.advance(minutes=2)
    await w.s.deadlines.tick()
    [(chat, _)] = await w.sent("overdue")
    assert chat == KABID_CHAT


async def test_after_a_restart_nothing_fires_twice(tmp_path: Path) -> None:
    start = wib(2026, 11, 30, 9, 0)
    async with World(tmp_path / "n.db", start) as w:
        await w.file()
        await w.at(start + timedelta(minutes=6))
        assert len(await w.sent("reminder")) == 2
    async with World(tmp_path / "n.db", start + timedelta(minutes=6)) as again:
        await again.at(start + timedelta(minutes=7))
        assert len(await again.sent("reminder")) == 2, "the reminder was stored as sent"
        await again.at(start + timedelta(minutes=30))  # the bot was down: one reminder, not 5
        assert len(await again.sent("reminder")) == 4


async def test_an_incident_still_open_past_the_total_goes_to_the_kabid_once(
    monday: World,
) -> None:
    w = monday
    await w.file()
    assert await outcome(w.s.workflow.decide(1, Action.NO, ADB)) == Outcome.OK
    t0 = w.clock.now
    await w.at(t0 + timedelta(minutes=72))
    assert await w.sent("overdue") == []
    await w.at(t0 + timedelta(minutes=74))
    await w.at(t0 + timedelta(minutes=90))
    [(chat, notice)] = await w.sent("overdue")
    assert chat == KABID_CHAT and "#K1" in notice["text"] and "Riwayat" in notice["text"]


async def test_friday_afternoon_waits_for_monday_and_nobody_is_paged_at_night(
    tmp_path: Path,
) -> None:
    friday = wib(2026, 11, 27, 15, 55)
    async with World(tmp_path / "n.db", friday) as w:
        await w.file()
        for when in (wib(2026, 11, 27, 16, 30), wib(2026, 11, 28, 10, 0), wib(2026, 11, 30, 7, 29)):
            await w.at(when)
        assert await w.sent("reminder") == [], "not after office hours, not on Saturday"
        await w.at(wib(2026, 11, 30, 7, 31))
        assert len(await w.sent("reminder")) == 2
        await w.at(wib(2026, 11, 30, 7, 34))
        assert await w.sent("escalate") == [], "Friday's 5 minutes + Monday's 4 are not 10"
        await w.at(wib(2026, 11, 30, 7, 35))
        assert len(await w.sent("escalate")) == 1


async def test_national_holidays_and_the_offices_own_days_off_do_not_count(
    tmp_path: Path,
) -> None:
    eve = wib(2026, 12, 23, 15, 58)  # then 24 Dec (the office's day off), 25 Dec (national)
    async with World(tmp_path / "n.db", eve) as w:
        await w.file()
        for day in (24, 25):
            await w.at(wib(2026, 12, day, 10, 0))
        assert await w.sent("reminder") == []
        await w.at(wib(2026, 12, 28, 7, 33))  # Monday: 2 minutes on the 23rd + 3 today
        assert len(await w.sent("reminder")) == 2


async def test_vendor_follow_up_every_few_office_hours_until_repaired(monday: World) -> None:
    w = monday
    await w.file()
    assert await outcome(w.s.workflow.decide(1, Action.NO, ADB)) == Outcome.OK
    assert await outcome(w.s.workflow.call_vendor(1, buttons.key("Telkom"), JF)) == Outcome.OK
    t0 = w.clock.now  # 09:00 Monday
    await w.at(t0 + timedelta(hours=3, minutes=59))
    assert await w.sent("follow_up") == []
    await w.at(t0 + timedelta(hours=4))
    [(chat, ask)] = await w.sent("follow_up")
    assert chat == JF_CHAT and "Telkom" in ask["text"] and "#K1" in ask["text"]
    await w.at(wib(2026, 12, 1, 9, 0))  # 4 office hours after 13:00 Monday: Tuesday 08:30
    assert len(await w.sent("follow_up")) == 2
    assert await outcome(w.s.workflow.fixed(1, JF)) == Outcome.OK
    await w.at(wib(2026, 12, 1, 15, 0))
    assert len(await w.sent("follow_up")) == 2, "nothing after Sudah diperbaiki"
