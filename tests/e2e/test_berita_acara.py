"""/beritaacara on the Bot API stand-in, and the Berita Acara beside a long outage's report.

The Kantor Dinas reaches SIAK over its LAN (the gateway answers on loopback) and the
VPN (a TCP port nothing listens on): the diagnosis names the VPN. The ADB answers Ya;
the office attaches the Berita Acara to the Kabid's report after a very short time
(``[sla] berita_acara_after_minutes``), so this outage of seconds is long enough.
"""

from __future__ import annotations

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.documents import pdf_text
from tests.support.e2e import Bot, running, settled, until, wait_decision
from tests.support.loopback import free_port
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, KABID_CHAT, USER_ID

KABID_ID = 9300  # a member of the Kabid's group


def office(vpn_port: int) -> OfficeConfig:
    return parse_config(
        FAST_CHECKS_TOML
        + f"""
[[services]]
name = "VPN SIAK"
host = "127.0.0.1"
port = {vpn_port}

[[vendors]]
name = "ISP Telkom"

[[links]]
name = "LAN Dinas"
kind = "lan"
check = "gateway"

[[links]]
name = "VPN SIAK"
kind = "vpn"
check = "VPN SIAK"
vendor = "ISP Telkom"

[[sites]]
name = "Kantor Dinas"
path = ["LAN Dinas", "VPN SIAK"]

[sla]
pause_outside_office_hours = false
berita_acara_after_minutes = 0.001
""",
        "e2e.toml",
        model=OfficeConfig,
    )


async def test_beritaacara_sends_staff_the_pdf_and_refuses_a_reporter(
    stub: BotApiStub, settings: Settings
) -> None:
    async with running(Bot(settings, office(free_port()))):
        rina, adb = stub.user(USER_ID, "Rina"), stub.user(ADB_ID, "Andi ADB")
        stub.send_text(rina, "/lapor SIAK Kantor Dinas putus sejak pagi")
        prompt = await wait_decision(stub, "#K1")
        stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["✅ Ya"])
        # The Kabid's report, and beside it the Berita Acara (the outage outlasted the limit).
        report = await until(
            lambda: stub.find(KABID_CHAT, "LAPORAN PENYELESAIAN"), what="the report"
        )
        attached = await until(
            lambda: [d for d in stub.documents if d[0] == KABID_CHAT], 60, "the attachment"
        )
        assert attached[0][1] == "berita-acara-I1.pdf"
        sent = stub.calls_to("sendDocument")[0].params
        assert "Lampiran laporan penyelesaian #I1" in sent["caption"]
        assert sent["reply_parameters"]["message_id"] == report["message_id"]

        stub.send_text(rina, "/beritaacara 1")
        await until(lambda: stub.find(USER_ID, "Berita Acara Gangguan Jaringan hanya untuk"))
        stub.send_text(adb, "/beritaacara #I1")
        await until(lambda: stub.find(ADB_ID, "sedang disusun"), what="the wait notice")
        mine = await until(lambda: [d for d in stub.documents if d[0] == ADB_ID], 60, "the PDF")
        text = pdf_text(mine[0][2])
        assert "BERITA ACARA GANGGUAN JARINGAN" in text
        assert "Titik gangguan : VPN SIAK (VPN)" in text
        assert "#K1" in text and "SIAK Kantor Dinas putus sejak pagi" in text
        assert "Mulai : " in text and "Selesai : " in text and "Rina" in text
        assert "Yang membuat, Mengetahui," in text

        for chat in (ADB_ID, KABID_CHAT):  # in the menus of the staff, not the reporters'
            assert "beritaacara" in (stub.commands_for("chat", chat) or [])
        assert "beritaacara" not in (stub.commands_for("default") or [])
        kabid = stub.user(KABID_ID, "Bu Kabid")
        stub.send_text(kabid, "/beritaacara 1", chat_id=KABID_CHAT)
        await until(lambda: len([d for d in stub.documents if d[0] == KABID_CHAT]) == 2, 60)
        stub.send_text(adb, "/beritaacara 99")
        await until(lambda: stub.find(ADB_ID, "Gangguan #I99 tidak ditemukan"), what="not found")
        stub.send_text(adb, "/beritaacara #K1")
        await until(lambda: stub.find(ADB_ID, "Itu nomor keluhan"), what="complaint number")
        await settled(settings.netmaint_db)
    assert not [d for d in stub.documents if d[0] == USER_ID]
    assert len(stub.documents) == 3
