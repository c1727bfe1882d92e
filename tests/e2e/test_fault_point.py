"""The fault point on the path to SIAK, as the ADB and the JF ADB read it (issue 21).

The Kantor Dinas reaches SIAK over its LAN (the gateway answers on loopback), the
VPN (a TCP port on loopback) and the data center (another port). The test closes
the VPN's port: the diagnosis names the VPN and who repairs it, with the line's id;
with the VPN up and the data center's port closed, it says the fault is outside
the office.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, running, until, wait_decision
from tests.support.loopback import free_port
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, JF_CHAT, USER_ID


@pytest.fixture
async def open_port() -> AsyncIterator[int]:
    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


def office(vpn_port: int, pusat_port: int) -> OfficeConfig:
    return parse_config(
        FAST_CHECKS_TOML
        + f"""
[[services]]
name = "VPN SIAK"
host = "127.0.0.1"
port = {vpn_port}

[[services]]
name = "SIAK Terpusat"
host = "127.0.0.1"
port = {pusat_port}

[[vendors]]
name = "ISP Telkom"
phone = "147"

[[vendors]]
name = "Helpdesk SIAK Kemendagri"
phone = "021 000"

[[links]]
name = "LAN Dinas"
kind = "lan"
check = "gateway"

[[links]]
name = "VPN SIAK"
kind = "vpn"
check = "VPN SIAK"
vendor = "ISP Telkom"
service_id = "4700123456"

[[links]]
name = "SIAK Terpusat"
kind = "pusat"
check = "SIAK Terpusat"
vendor = "Helpdesk SIAK Kemendagri"

[[sites]]
name = "Kantor Dinas"
path = ["LAN Dinas", "VPN SIAK", "SIAK Terpusat"]
""",
        "e2e.toml",
        model=OfficeConfig,
    )


async def report_at_the_dinas(stub: BotApiStub) -> None:
    """The guided /lapor: the site button, then the text."""
    rina = stub.user(USER_ID, "Rina")
    stub.send_text(rina, "/lapor")
    ask = await until(lambda: stub.find(USER_ID, "Di lokasi/unit mana"), what="site question")
    stub.press(rina, USER_ID, ask["message_id"], stub.buttons(ask)["Kantor Dinas"])
    await until(lambda: stub.find(USER_ID, "Jelaskan gangguannya"), what="text question")
    stub.send_text(rina, "SIAK putus sejak pagi")


async def test_a_closed_vpn_is_named_with_its_vendor_and_line(
    stub: BotApiStub, settings: Settings, open_port: int
) -> None:
    async with running(Bot(settings, office(free_port(), open_port))):
        await report_at_the_dinas(stub)
        prompt = await wait_decision(stub, "#K1")
        assert "Titik gangguan: VPN SIAK (VPN)" in prompt["text"]
        assert "diperbaiki oleh: ISP Telkom (ID layanan 4700123456)" in prompt["text"]
        adb = stub.user(ADB_ID, "Andi ADB")
        stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["❌ Tidak"])
        report = await until(lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="report")
        assert "Titik gangguan: VPN SIAK" in report["text"] and "4700123456" in report["text"]


async def test_a_data_center_fault_reads_as_outside_the_office(
    stub: BotApiStub, settings: Settings, open_port: int
) -> None:
    async with running(Bot(settings, office(open_port, free_port()))):
        await report_at_the_dinas(stub)
        prompt = await wait_decision(stub, "#K1")
        text = prompt["text"]
        assert "Titik gangguan: SIAK Terpusat (pusat data Kemendagri)" in text
        assert "Gangguan di luar kantor" in text and "hubungi Helpdesk SIAK Kemendagri" in text
