"""The monthly recap under a wall clock set wrong: nothing sent early, nothing lost.

Issue 19: set to 2 February 2027, the bot sent an empty January recap to the Kabid
group and marked January done; the real one never went. Real SQLite file and the real
documents; the clock is ``FakeClock`` (``step``: set without time passing), the send is
the one edge replaced.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.doctor import check_running_bot, report
from bot.documents.service import Document, Documents
from bot.settings.office import OfficeConfig
from bot.sop.monthly import MonthlyRecap
from bot.storage import Database
from bot.storage.status import CLOCK_STEP
from checks.config import parse_config
from tests.support.clock import FakeClock
from tests.support.documents import TZ, seed

KABID = -100300


def wib(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


class Kabid:
    """The Kabid group's side of sendDocument: which recaps arrived."""

    def __init__(self) -> None:
        self.got: list[str] = []

    async def __call__(self, chat: int, doc: Document, caption: str) -> int:
        assert chat == KABID
        self.got.append(doc.filename)
        return len(self.got)


def recap_of(db: Database, clock: FakeClock) -> MonthlyRecap:
    config = parse_config("", model=OfficeConfig)
    return MonthlyRecap(Documents(db, config, "id", TZ), db, KABID, clock, lambda d: d.filename)


def deferred(path: Path) -> list[str]:
    lines = check_running_bot(path)
    return [report("id", [line]) for line in lines if line.key == "recap_deferred"]


async def test_a_clock_set_ahead_sends_no_recap_and_loses_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    path, kabid = tmp_path / "n.db", Kabid()
    clock = FakeClock(wib(2026, 12, 10, 9, 0))
    async with Database(path, clock=clock) as db:
        await seed(db, [(2026, 11), (2026, 12)], 5)
        recap = recap_of(db, clock)
        assert await recap.tick(kabid) and kabid.got == ["rekap-2026-11.pdf"]

        clock.step(days=54)  # 2 February 2027, 09:00: someone set the date by hand
        for _ in range(3):
            assert not await recap.tick(kabid)
            clock.advance(minutes=5)
        assert kabid.got == ["rekap-2026-11.pdf"], "no recap of a month not yet lived"
        assert caplog.text.count("the monthly recap for 2027-01 waits") == 1, "logged once"
        [shown] = deferred(path)
        assert "2027-01" in shown and "ditahan" in shown and "melompat maju" in shown

        clock.step(days=-54)  # corrected
        assert not await recap.tick(kabid)
        clock.now = wib(2027, 2, 1, 9, 0)  # the real first working day of February
        assert await recap.tick(kabid), "January's recap, at its time"
        assert kabid.got == ["rekap-2026-11.pdf", "rekap-2027-01.pdf"]
    assert deferred(path) == [], "doctor no longer shows it"


async def test_a_start_long_after_the_month_with_nothing_stored_since_waits(
    tmp_path: Path,
) -> None:
    path, kabid = tmp_path / "n.db", Kabid()
    clock = FakeClock(wib(2026, 12, 5, 10, 0))
    async with Database(path, clock=clock) as db:
        await seed(db, [(2026, 11), (2026, 12)], 5)
        async with db.write() as tx:
            await tx.inbox.add(1, "{}")  # the last update before the bot stopped
            await tx.documents.claim_monthly("2026-11", KABID)
            await tx.documents.sent_monthly("2026-11", 1)
    clock.now = wib(2027, 2, 25, 9, 0)  # started again, the clock set ahead meanwhile
    async with Database(path, clock=clock) as db:
        recap = recap_of(db, clock)
        assert not await recap.tick(kabid) and kabid.got == []
        [shown] = deferred(path)
        assert "2027-01" in shown and "tidak ada pesan yang masuk" in shown
        async with db.write() as tx:
            await tx.inbox.add(2, "{}")  # the office uses the bot: this clock is its time
        assert await recap.tick(kabid) and kabid.got == ["rekap-2027-01.pdf"]


async def test_a_recap_recorded_as_sent_in_the_future_does_not_count(tmp_path: Path) -> None:
    path, kabid = tmp_path / "n.db", Kabid()
    ahead = FakeClock(wib(2027, 2, 2, 9, 0))
    async with Database(path, clock=ahead) as db:
        await seed(db, [(2026, 12)], 5)
        async with db.write() as tx:  # sent under a clock set ahead (by an older version)
            await tx.documents.claim_monthly("2027-01", KABID)
            await tx.documents.sent_monthly("2027-01", 1)
    clock = FakeClock(wib(2027, 2, 1, 9, 0))
    async with Database(path, clock=clock) as db:
        recap = recap_of(db, clock)
        assert await recap.tick(kabid) and kabid.got == ["rekap-2027-01.pdf"]
        clock.advance(days=2)
        assert not await recap.tick(kabid), "the real one counts"
        assert kabid.got == ["rekap-2027-01.pdf"]


async def test_a_forward_step_the_clock_watch_stored_holds_the_recap_after_a_restart(
    tmp_path: Path,
) -> None:
    path, kabid = tmp_path / "n.db", Kabid()
    clock = FakeClock(wib(2027, 2, 2, 9, 0))  # the clock set ahead; the bot restarted since
    async with Database(path, clock=clock) as db:
        await seed(db, [(2026, 12)], 5)
        async with db.write() as tx:
            await tx.status.put(CLOCK_STEP, "+4665600")  # as ClockWatch.record stores it
        recap = recap_of(db, clock)
        assert not await recap.tick(kabid) and kabid.got == []
        assert "melompat maju" in deferred(path)[0]
    clock.advance(days=1, minutes=1)  # a day later, and still this date: it is believed
    async with Database(path, clock=clock) as db:  # another start
        assert await recap_of(db, clock).tick(kabid) and kabid.got == ["rekap-2027-01.pdf"]
    assert deferred(path) == [], "the other process's hold is no longer shown"
