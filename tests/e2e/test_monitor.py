"""Monitoring end to end: the real bot over HTTP against the Bot API stand-in, watching a
loopback service the test closes. The ADB gets the usual prompt before anyone complains;
/status and /pemeliharaan answer the right people."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, rows, running, until, wait_decision
from tests.support.monitor import Switch
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, USER_ID


@pytest.fixture
async def switch() -> AsyncIterator[Switch]:
    sw = Switch()
    await sw.on()
    yield sw
    await sw.off()


def monitored(port: int) -> OfficeConfig:
    return parse_config(
        FAST_CHECKS_TOML
        + f"""
[[services]]
name = "oracle-siak"
host = "127.0.0.1"
port = {port}

[monitor]
interval_seconds = 0.05
down_after = 2
up_after = 1
services = ["oracle-siak"]
""",
        "e2e-monitor.toml",
        model=OfficeConfig,
    )


async def test_a_closed_service_reaches_the_adb_before_anyone_complains(
    stub: BotApiStub, settings: Settings, switch: Switch
) -> None:
    async with running(Bot(settings, monitored(switch.port))):
        adb, user = stub.user(ADB_ID, "Adi"), stub.user(USER_ID, "Rina")
        stub.send_text(adb, "/status")
        await until(lambda: stub.find(ADB_ID, "Status jaringan"), what="the status board")
        await switch.off()
        prompt = await wait_decision(stub, "#K1")
        assert "netmaint (pemantauan)" in prompt["text"]
        assert "oracle-siak" in prompt["text"]
        filed = rows(settings.netmaint_db, "SELECT channel, reporter_chat_id FROM complaints")
        assert filed == [("monitor", None)]  # no user complaint: the bot's own
        assert rows(settings.netmaint_db, "SELECT found_by FROM incidents") == [("monitor",)]
        stub.send_text(adb, "/status")
        await until(lambda: stub.find(ADB_ID, "terganggu (oracle-siak)"), what="status: down")
        # A user is not staff: no status, no maintenance.
        stub.send_text(user, "/pemeliharaan kantor 1j uji")
        await until(lambda: stub.texts(USER_ID), what="the refusal")
        assert rows(settings.netmaint_db, "SELECT COUNT(*) FROM maintenance") == [(0,)]
        await switch.on()
        back = await until(lambda: stub.find(ADB_ID, "menjawab lagi"), what="recovery")
        assert "#I1" in back["text"]
        stub.send_text(adb, "/pemeliharaan kantor 1j ganti switch")
        opened = await until(
            lambda: stub.find(ADB_ID, "Pemeliharaan terencana dicatat"), what="the window"
        )
        assert "ganti switch" in opened["text"]
        stub.send_text(adb, "/pemeliharaan selesai 1")
        await until(lambda: stub.find(ADB_ID, "Pemeliharaan #1"), what="the window ended")
