"""Who to call once the fault point is known (issue 21), through the Bot API stand-in.

The Kantor Dinas reaches SIAK over its LAN (the gateway answers on loopback), its
internet line, the VPN and the data center (each a TCP port on loopback). A closed
port is a broken part: the JF ADB is offered that part's vendor first with the line's
id, or for the data center the helpdesk and the words that the fault is outside the
office; reporters are told where the fault is, once; the ADB gets a text for the
public counters without internal details.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, file, rows, running, settled, until, wait_decision
from tests.support.loopback import free_port
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, JF_CHAT, KABID_CHAT, OTHER_ID, USER_ID

LINE_ID = "4700123456"
OUTSIDE = "di luar kantor: di pusat data Kemendagri, bukan kewenangan kantor untuk memperbaiki"
COMPLAINT = "SIAK putus sejak pagi di loket 3"


async def _listen(port: int = 0) -> asyncio.Server:
    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    return await asyncio.start_server(on_conn, "127.0.0.1", port)


@pytest.fixture
async def open_port() -> AsyncIterator[int]:
    """A part that works: a port that accepts."""
    server = await _listen()
    async with server:
        yield server.sockets[0].getsockname()[1]


def office(isp: int, vpn: int, pusat: int) -> OfficeConfig:
    """The Dinas's path and a kecamatan's, sharing the VPN and the data center; the
    broken line's vendor is last in [[vendors]] on purpose."""
    return parse_config(
        FAST_CHECKS_TOML
        + f"""
[[services]]
name = "Internet Dinas"
host = "127.0.0.1"
port = {isp}

[[services]]
name = "VPN SIAK"
host = "127.0.0.1"
port = {vpn}

[[services]]
name = "SIAK Terpusat"
host = "127.0.0.1"
port = {pusat}

[[vendors]]
name = "Helpdesk SIAK Kemendagri"
phone = "021 7900"

[[vendors]]
name = "ISP Telkom"
phone = "147"

[[vendors]]
name = "ISP Indihome"
phone = "0751 111"

[[links]]
name = "LAN Dinas"
kind = "lan"
check = "gateway"

[[links]]
name = "Internet Dinas"
kind = "isp"
check = "Internet Dinas"
vendor = "ISP Indihome"
service_id = "{LINE_ID}"

[[links]]
name = "VPN SIAK"
kind = "vpn"
check = "VPN SIAK"
vendor = "ISP Telkom"
service_id = "4700999999"

[[links]]
name = "SIAK Terpusat"
kind = "pusat"
check = "SIAK Terpusat"
vendor = "Helpdesk SIAK Kemendagri"

[[links]]
name = "LAN Tarusan"
kind = "lan"
check = "gateway"

[[sites]]
name = "Kantor Dinas"
path = ["LAN Dinas", "Internet Dinas", "VPN SIAK", "SIAK Terpusat"]

[[sites]]
name = "Kecamatan Koto XI Tarusan"
path = ["LAN Tarusan", "VPN SIAK", "SIAK Terpusat"]
""",
        "e2e.toml",
        model=OfficeConfig,
    )


def labels(message: dict[str, Any]) -> list[str]:
    """A message's button labels, in the order the user sees them."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def decided_no(stub: BotApiStub) -> dict[str, Any]:
    """Rina reports at the Dinas, the ADB answers Tidak: the JF ADB's report."""
    tag = await file(stub, stub.user(USER_ID, "Rina"), COMPLAINT, site="Kantor Dinas")
    prompt = await wait_decision(stub, tag)
    stub.press(
        stub.user(ADB_ID, "Andi ADB"),
        ADB_ID,
        prompt["message_id"],
        stub.buttons(prompt)["❌ Tidak"],
    )
    report: dict[str, Any] = await until(
        lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="the JF ADB report"
    )
    return report


async def test_a_broken_isp_line_offers_its_vendor_first_with_the_line_id(
    stub: BotApiStub, settings: Settings, open_port: int
) -> None:
    async with running(Bot(settings, office(free_port(), open_port, open_port))):
        report = await decided_no(stub)
        text = report["text"]
        assert "Titik gangguan: Internet Dinas (jalur internet (ISP))" in text
        assert "Pihak yang dihubungi" in text
        assert f"ISP Indihome · telp 0751 111 · ID layanan: {LINE_ID}" in text
        assert "di luar kantor" not in text
        assert labels(report)[0] == "📞 Sudah dihubungi: ISP Indihome"

        jf = stub.user(9001, "Joko JF")
        stub.press(
            jf, JF_CHAT, report["message_id"], stub.buttons(report)["📞 Hubungi pihak ke tiga"]
        )
        listed = await until(lambda: stub.find(JF_CHAT, "Hubungi pihak ke tiga —"), what="list")
        assert re.search(
            r"1\. ISP Indihome · telp 0751 111 .*ID layanan: " + LINE_ID, listed["text"]
        )
        assert labels(listed)[:3] == [
            "📞 Sudah dihubungi: ISP Indihome",
            "📞 Sudah dihubungi: Helpdesk SIAK Kemendagri",
            "📞 Sudah dihubungi: ISP Telkom",
        ]

        stub.press(jf, JF_CHAT, report["message_id"], stub.buttons(report)[labels(report)[0]])
        called = await until(lambda: stub.find(JF_CHAT, "dihubungi oleh"), what="call recorded")
        assert "ISP Indihome" in called["text"] and f"ID layanan: {LINE_ID}" in called["text"]


async def test_a_data_center_fault_calls_the_helpdesk_and_reads_outside_the_office(
    stub: BotApiStub, settings: Settings, open_port: int
) -> None:
    pusat = free_port()
    async with running(Bot(settings, office(open_port, open_port, pusat))):
        report = await decided_no(stub)
        assert OUTSIDE in report["text"]
        assert "Helpdesk SIAK Kemendagri · telp 021 7900" in report["text"]
        assert labels(report)[0] == "📞 Sudah dihubungi: Helpdesk SIAK Kemendagri"

        # The data center is back; the JF ADB says so; the ADB answers Ya.
        async with await _listen(pusat):
            jf, adb = stub.user(9001, "Joko JF"), stub.user(ADB_ID, "Andi ADB")
            stub.press(
                jf, JF_CHAT, report["message_id"], stub.buttons(report)["🔧 Sudah diperbaiki"]
            )
            again = await wait_decision(stub, "#K1", round_=2)
            assert "Titik gangguan" not in again["text"]  # every part answers now
            stub.press(adb, ADB_ID, again["message_id"], stub.buttons(again)["✅ Ya"])
            kabid = await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid")
        assert "Titik gangguan: SIAK Terpusat (pusat data Kemendagri)" in kabid["text"]
        assert OUTSIDE in kabid["text"]


def announcement(stub: BotApiStub) -> str:
    """The copyable text of the ADB's pengumuman layanan (what is inside <pre>)."""
    msg = stub.find(ADB_ID, "Teks pengumuman layanan")
    assert msg is not None
    found = re.search(r"<pre>(.*?)</pre>", msg["html"], re.DOTALL)
    assert found is not None
    return found.group(1)


async def test_reporters_hear_the_fault_point_once_and_the_adb_gets_a_public_text(
    stub: BotApiStub, settings: Settings, open_port: int
) -> None:
    told = "Gangguan berada di VPN SIAK (VPN); sedang ditangani oleh ISP Telkom."
    async with running(Bot(settings, office(open_port, free_port(), open_port))) as b:
        rina, budi = stub.user(USER_ID, "Rina"), stub.user(OTHER_ID, "Budi")
        await file(stub, rina, COMPLAINT, site="Kantor Dinas")
        prompt = await wait_decision(stub, "#K1")
        await file(stub, budi, "aplikasi SIAK tidak terbuka", site="Kantor Dinas")
        await until(lambda: stub.find(OTHER_ID, told), what="the joined reporter told")
        assert stub.find(USER_ID, told) is not None

        # A restart, then Cek ulang finds the same part: nobody is told again, and
        # there is no second announcement (what was told is kept in the database).
        adb = stub.user(ADB_ID, "Andi ADB")
        prompt = await wait_decision(stub, "#I1", everything="#K2")
        await settled(b.settings.netmaint_db)
        await b.restart()
        stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["🔁 Cek ulang"])
        await wait_decision(stub, "#I1", round_=2)
        await settled(b.settings.netmaint_db)
        for uid in (USER_ID, OTHER_ID):
            assert sum(told in t for t in stub.texts(uid)) == 1
        assert sum("Teks pengumuman layanan" in t for t in stub.texts(ADB_ID)) == 1

        public = announcement(stub)
        assert "PENGUMUMAN LAYANAN" in public and "Kantor Dinas" in public
        assert "VPN SIAK (VPN)" in public and "ditangani oleh ISP Telkom" in public
        for internal in ("#K", "#I", "4700999999", "147", "loket 3", "Rina", "Budi", "ADB"):
            assert internal not in public


async def test_reporters_at_every_site_behind_the_broken_vpn_are_told(
    stub: BotApiStub, settings: Settings, open_port: int
) -> None:
    told = "Gangguan berada di VPN SIAK (VPN); sedang ditangani oleh ISP Telkom."
    async with running(Bot(settings, office(open_port, free_port(), open_port))) as b:
        await file(stub, stub.user(USER_ID, "Rina"), COMPLAINT, site="Kantor Dinas")
        await file(stub, stub.user(OTHER_ID, "Budi"), "SIAK mati", site="Kecamatan Koto XI Tarusan")
        for uid in (USER_ID, OTHER_ID):
            await until(lambda u=uid: stub.find(u, told), what=f"reporter {uid} told")
        db = b.settings.netmaint_db
        await until(
            lambda: not rows(db, "SELECT 1 FROM incidents WHERE state='diagnosing'"),
            what="every diagnosis finished",
        )
        await settled(db)
        for uid in (USER_ID, OTHER_ID):
            assert sum(told in t for t in stub.texts(uid)) == 1
