"""A wall clock set back or forward changes no pacing and no flood count, and is noticed.

Issue 19 on main: set back 60 s, every send stalled 58 s (the pacer's buckets on the
wall clock owed a minute); set back 1 h, the flood guard ignored 4 of 8 ``/bantuan``
sent two minutes apart (updates seen "in the future" never left its minute). The wall
clock is injected and stepped here; monotonic seconds are real (the sender) or injected
(the guard, whose minutes pass in an instant).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot

from bot.cli.doctor import Level, check_running_bot, report
from bot.delivery.pacer import PacerLimits
from bot.delivery.queue import MessageQueue
from bot.delivery.sender import Sender, SenderOptions
from bot.render.views import Views
from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from bot.storage import Database
from bot.telegram.clockwatch import ClockWatch
from bot.telegram.runtime import run_bot
from checks import redact
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import FAST_OUTBOX, db_row, file, until, wait_decision
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, JF_CHAT, KABID_CHAT, USER_ID

CHAT = 4242


class Wall:
    """The wall clock, stepped by the test (``offset``) and otherwise real."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @staticmethod
    def ticks() -> float:
        """Monotonic seconds go with it (``bot.domain.clock.ticks_for``): the steps are not
        in them."""
        return time.monotonic()


class Ticks:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


async def test_a_clock_set_back_60_s_does_not_stall_sending(tmp_path: Path) -> None:
    wall = Wall()
    with BotApiStub() as api:
        redact.install([api.token])
        bot = Bot(api.token, base_url=api.base_url)
        async with Database(tmp_path / "n.db", wall) as db, bot:
            queue = MessageQueue(db, Views("id", ZoneInfo("Asia/Jakarta")), ())
            # Telegram's own limits: one message a second in a chat.
            sender = Sender(db, bot, queue, clock=wall, options=SenderOptions(limits=PacerLimits()))
            task = asyncio.create_task(sender.run())
            try:
                async with db.write() as tx:
                    await queue.send(tx, CHAT, "sebelum")
                queue.wake()
                await until(lambda: api.texts(CHAT) == ["sebelum"], what="the first message")
                wall.offset -= timedelta(seconds=60)  # NTP, or someone fixing the date
                async with db.write() as tx:
                    await queue.send(tx, CHAT, "sesudah")
                queue.wake()
                # About a second later at Telegram's pace; on main, 60 s later.
                await until(
                    lambda: api.texts(CHAT) == ["sebelum", "sesudah"],
                    timeout=10,
                    what="the message after the step",
                )
            finally:
                sender.stop()
                await asyncio.wait_for(task, 10)


async def test_the_flood_guard_counts_minutes_not_wall_clock_readings(
    stub: BotApiStub, settings, tmp_path: Path
) -> None:
    config = parse_config(
        FAST_CHECKS_TOML + "\n[limits]\nupdates_per_minute = 5\n", model=OfficeConfig
    )
    wall, ticks = Wall(), Ticks()
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_bot(
            settings,
            config,
            stop,
            ready=ready,
            sender_options=FAST_OUTBOX,
            clock=wall,
            ticks=ticks,
        )
    )
    user = stub.user(USER_ID, "Rina")

    def helps() -> int:
        return len([t for t in stub.texts(USER_ID) if "Bantuan" in t])

    try:
        await asyncio.wait_for(ready.wait(), 15)
        for i in range(8):  # two minutes apart; the clock set back an hour after the first
            if i == 1:
                wall.offset -= timedelta(hours=1)
            ticks.t += 120
            stub.send_text(user, "/bantuan")
            await until(lambda n=i + 1: helps() == n, what=f"help reply {i + 1}")
        assert not [t for t in stub.texts(USER_ID) if "terlalu banyak pesan" in t]

        # The guard still cuts a real flood: eight in one (monotonic) minute.
        ticks.t += 120
        for _ in range(8):
            ticks.t += 1
            stub.send_text(user, "/bantuan")
        await until(
            lambda: [t for t in stub.texts(USER_ID) if "terlalu banyak pesan" in t],
            what="the flood notice",
        )
        assert helps() == 8 + 5
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 20)


@pytest.mark.parametrize("step", [-60.0, -3600.0, +7200.0])
async def test_a_step_of_the_wall_clock_is_logged_stored_and_shown_by_doctor(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, step: float
) -> None:
    caplog.set_level(logging.WARNING)
    wall, ticks = Wall(), Ticks()
    path = tmp_path / "n.db"
    async with Database(path, wall) as db:
        watch = ClockWatch(db, wall, ticks)
        wall.offset += timedelta(seconds=2)
        ticks.t += 2
        assert watch.look() is None  # wall and monotonic time went on together
        wall.offset += timedelta(seconds=step + 2)
        ticks.t += 2
        seen = watch.look()
        assert seen is not None and seen == pytest.approx(step, abs=1)
        await watch.record(seen)
        assert watch.look() is None  # one step is reported once
    assert "the server's clock jumped" in caplog.text
    [line] = check_running_bot(path)
    assert line.level is Level.WARN and line.key == "clock_step"
    assert f"{step:+.0f}" in report("id", [line])
    # A week later doctor no longer shows it.
    assert check_running_bot(path, now=datetime.now(UTC) + timedelta(days=8)) == []


async def test_a_clock_set_back_while_the_bot_was_down_is_noticed_at_start(
    tmp_path: Path,
) -> None:
    wall = Wall()
    async with Database(tmp_path / "n.db", wall) as db:
        async with db.write() as tx:
            await tx.inbox.add(1, "{}")
        wall.offset -= timedelta(hours=7)  # a hardware clock in WIB read as UTC
        step = await ClockWatch(db, wall, Ticks()).at_start()
        assert step is not None and step == pytest.approx(-7 * 3600, abs=5)
        stored = await db.reads.status.get("clock_step")
        assert stored is not None and stored.value == "-25200"


async def test_doctor_says_the_running_bot_cannot_reach_telegram(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    async with Database(path) as db, db.write() as tx:
        await tx.status.put("telegram", "unreachable", "NetworkError: httpx.ConnectError")
        await tx.outbox.enqueue(7, "sendMessage", {"text": "menunggu"})
    [line] = check_running_bot(path)
    assert line.key == "bot_offline" and line.params["pending"] == 1
    text = report("id", [line])
    assert "tidak dapat menghubungi Telegram" in text and "1 pesan menunggu" in text
    async with Database(path) as db, db.write() as tx:
        await tx.status.put("telegram", "reachable")
    assert check_running_bot(path) == []


async def test_a_clock_set_ahead_tells_the_jf_adb_and_the_kabid_nothing_early(
    stub: BotApiStub, settings: Settings
) -> None:
    """Issue 19: set 2 h ahead, the JF ADB and the Kabid were told of a 1-minute-old
    incident "terlambat" / "melewati mutu baku", recorded as sent. The ADB's reminder,
    due within seconds, shows that the SOP clock has looked after the step."""
    sla = """
[sla]
decision_minutes = 0.03
remind_every_minutes = 0.03
escalate_decision_minutes = 60
total_minutes = 120
pause_outside_office_hours = false
"""
    config = parse_config(FAST_CHECKS_TOML + sla, model=OfficeConfig)
    wall, stop, ready = Wall(), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_bot(settings, config, stop, ready=ready, sender_options=FAST_OUTBOX, clock=wall)
    )
    try:
        await asyncio.wait_for(ready.wait(), 15)
        tag = await file(stub, stub.user(USER_ID, "Rina"), "internet mati")
        await wait_decision(stub, tag)
        wall.offset += timedelta(hours=2)
        await until(
            lambda: [m for m in stub.chat_messages(ADB_ID) if "Pengingat" in m["text"]],
            what="the ADB's reminder, due by the time that really passed",
        )
        assert not [m for m in stub.chat_messages(JF_CHAT) if "terlambat" in m["text"]]
        assert not [m for m in stub.chat_messages(KABID_CHAT) if "mutu baku" in m["text"]]
        db = settings.netmaint_db
        assert db_row(db, "SELECT COUNT(*) FROM notices WHERE kind IN ('escalate','overdue')") == (
            0,
        )
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 20)
