"""The flood guard: at most ``[limits] complaints_per_user`` complaints per user per window.

Real SOP services and SQLite file; the clock is injected so the window can pass. The
polite refusal is checked end to end through the stand-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.model import Actor
from bot.services import Services
from bot.settings.office import OfficeConfig
from bot.sop.workflow import RateLimited
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.clock import FakeClock
from tests.support.e2e import Bot, rows, settled, until
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, OTHER_ID, USER_ID, make_settings
from tests.support.sop import sop_services

CONFIG = (
    FAST_CHECKS_TOML
    + """
[limits]
complaints_per_user = 2
window_minutes = 10
"""
)
RINA = Actor(USER_ID, "Rina")


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[tuple[Services, FakeClock]]:
    clock = FakeClock(datetime(2026, 1, 5, 1, 0, tzinfo=UTC))
    config = parse_config(CONFIG, model=OfficeConfig)
    async with sop_services(tmp_path / "n.db", config, clock) as s:
        yield s, clock


async def _file(
    s: Services,
    update_id: int,
    who: Actor = RINA,
    *,
    limited: bool = True,
    filed_by: Actor | None = None,
) -> int | None:
    return await s.workflow.file(
        reporter=who,
        reporter_chat_id=who.id,
        channel="chat",
        site=None,
        text=f"keluhan {update_id}",
        update_id=update_id,
        limited=limited,
        filed_by=filed_by,
    )


async def test_over_the_limit_files_nothing_until_the_window_passes(
    svc: tuple[Services, FakeClock],
) -> None:
    s, clock = svc
    assert await _file(s, 1) and await _file(s, 2)
    with pytest.raises(RateLimited):
        await _file(s, 3)
    assert await _file(s, 1) is None, "a redelivered update is not refused, and files nothing"
    assert await _file(s, 4, Actor(OTHER_ID, "Sari")), "other users are not affected"
    assert await _file(s, 5, limited=False), "ADBs are not limited"
    clock.now += timedelta(minutes=9)
    with pytest.raises(RateLimited):
        await _file(s, 6)
    clock.now += timedelta(minutes=1, seconds=1)
    assert await _file(s, 7), "the window has passed"
    assert len(await s.db.reads.complaints.all()) == 5


async def test_concurrent_filings_cannot_slip_past_the_limit(
    svc: tuple[Services, FakeClock],
) -> None:
    s, _ = svc
    results = await asyncio.gather(*(_file(s, 100 + i) for i in range(8)), return_exceptions=True)
    assert sum(isinstance(r, int) for r in results) == 2
    assert sum(isinstance(r, RateLimited) for r in results) == 6


async def test_unlimited_when_configured_zero(tmp_path: Path) -> None:
    config: OfficeConfig = parse_config(
        CONFIG.replace("complaints_per_user = 2", "complaints_per_user = 0"), model=OfficeConfig
    )
    async with sop_services(tmp_path / "n.db", config) as s:
        assert all([await _file(s, i) for i in range(1, 5)])


async def test_a_flood_gets_one_polite_refusal_and_is_audited(tmp_path: Path) -> None:
    with BotApiStub() as stub:
        settings = make_settings(tmp_path / "n.db", stub.token, stub.base_url)
        bot = Bot(settings, parse_config(CONFIG, model=OfficeConfig))
        await bot.start()
        try:
            user, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
            for i in range(6):
                stub.send_text(user, f"/lapor gangguan nomor {i}")
            stub.send_text(user, "/lapor")  # the guided dialog is refused before any question
            for i in range(3):
                stub.send_text(adb, f"/catat Pak Budi: telepon nomor {i}")
            refusal = await until(
                lambda: stub.find(USER_ID, "Maaf, Anda sudah mengirim"), 20, "the polite refusal"
            )
            assert "2 keluhan dalam 10 menit terakhir" in refusal["text"]
            assert "bisa dikirim lagi mulai pukul" in refusal["text"]
            assert "/lacak" in refusal["text"]

            def audited() -> list[tuple]:
                return rows(settings.netmaint_db, "SELECT outcome, user_id, what FROM audit")

            await until(
                lambda: (
                    len(audited()) == 5
                    and len(rows(settings.netmaint_db, "SELECT 1 FROM complaints")) == 5
                ),
                what="all handled",
            )
            assert audited() == [("rate_limited", USER_ID, "/lapor")] * 5
            channels = rows(settings.netmaint_db, "SELECT channel FROM complaints ORDER BY id")
            assert channels == [("chat",), ("chat",), ("catat",), ("catat",), ("catat",)]
            await settled(settings.netmaint_db)  # the refusal was sent once, not five times
            assert len([t for t in stub.texts(USER_ID) if "Maaf, Anda sudah mengirim" in t]) == 1
            assert not stub.find(USER_ID, "Di lokasi/unit mana"), "no question was asked"
        finally:
            await bot.stop()
