"""Reports that carry the decisive finding, and the reporter's /lacak (issue 18).

The JF ADB's and the Kabid's reports say how the outage came to the office (found by
monitoring, or reported by whom) and the failed check that decided it, worded as in
the ADB's prompt; the Kabid's report after a repair still names the first round's
failure, not only the clean last round. Set-up instructions stay in the ADB's prompt.
A reporter's /lacak leaves out the ADB's internal note, which the ADB's /lacak shows,
and names staff by their [[staff]] names. Every check runs against loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings.environment import Settings
from bot.settings.office import OfficeConfig
from checks.config import parse_config
from tests.support.botapi_stub import BotApiStub
from tests.support.e2e import Bot, db_row, file, rows, running, until, wait_decision
from tests.support.loopback import free_port
from tests.support.monitor import Switch
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, JF_CHAT, KABID_CHAT, USER_ID

JF_ID = 9100
NOTE = "Kabel LAN loket 2 digigit tikus, diganti baru"
# What only the ADB (and netmaint doctor) is told: how to set a check up.
SET_UP = ("tambahkan", "[[", "netmaint.toml")


@pytest.fixture
async def switch() -> AsyncIterator[Switch]:
    sw = Switch()
    await sw.on()
    yield sw
    await sw.off()


def monitored(port: int) -> OfficeConfig:
    """oracle-siak watched by monitoring; no software check set up (a set-up hint)."""
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


def staffed(port: int) -> OfficeConfig:
    """A closed SIAK port (nothing listens), a vendor, and the office's names for people."""
    return parse_config(
        FAST_CHECKS_TOML
        + f"""
[[services]]
name = "SIAK web"
host = "127.0.0.1"
port = {port}
software = true

[[vendors]]
name = "Telkom Indihome"
phone = "147"

[[staff]]
telegram_id = {ADB_ID}
name = "Andi Saputra, A.Md."

[[staff]]
telegram_id = {JF_ID}
name = "Joko Susilo, S.Kom"

[[staff]]
telegram_id = {USER_ID}
name = "Rina Marlina"
""",
        "e2e-staff.toml",
        model=OfficeConfig,
    )


def received_hm(db: Path, cid: int = 1) -> str:
    """The complaint's stored receipt as the office reads it (WIB), HH:MM."""
    (at,) = db_row(db, "SELECT created_at FROM complaints WHERE id=?", cid)
    # Indonesian time: 08.00
    return datetime.fromisoformat(at).astimezone(ZoneInfo("Asia/Jakarta")).strftime("%H.%M")


def section(text: str, title: str) -> str:
    """The lines of a report from ``title`` up to the next blank line."""
    return text.split(title, 1)[1].split("\n\n", 1)[0]


async def test_monitoring_found_outage_reports_say_so_and_carry_the_failed_check(
    stub: BotApiStub, settings: Settings, switch: Switch
) -> None:
    async with running(Bot(settings, monitored(switch.port))):
        adb, jf = stub.user(ADB_ID, "Adi"), stub.user(JF_ID, "Joko JF")
        await switch.off()
        prompt = await wait_decision(stub, "#K1")
        assert "tambahkan [[services]]" in prompt["text"], "the ADB is told how to set it up"
        stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["❌ Tidak"])
        jf_report = await until(lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="JF")
        found = f"ditemukan oleh pemantauan otomatis pukul {received_hm(settings.netmaint_db)}"
        text = jf_report["text"]
        assert found in text and "dilaporkan oleh" not in text
        decisive = section(text, "Temuan yang menentukan")
        assert "5. Cek service di server apakah berjalan normal" in decisive
        assert f"layanan oracle-siak (127.0.0.1:{switch.port}) menolak koneksi" in decisive
        assert "pemeriksaan ke-" not in decisive.splitlines()[0], "this round decided it"

        # Repaired: the second round is clean, and the Kabid still reads what failed.
        await switch.on()
        stub.press(
            jf, JF_CHAT, jf_report["message_id"], stub.buttons(jf_report)["🔧 Sudah diperbaiki"]
        )
        again = await wait_decision(stub, "#K1", round_=2)
        stub.press(adb, ADB_ID, again["message_id"], stub.buttons(again)["✅ Ya"])
        kabid = await until(lambda: stub.find(KABID_CHAT, "Melaporkan ke Kabid"), what="Kabid")
        text = kabid["text"]
        assert found in text
        decisive = section(text, "Temuan yang menentukan")
        assert decisive.startswith(" (pemeriksaan ke-1,"), decisive
        assert "menolak koneksi" in decisive
        last = section(text, "Hasil pemeriksaan terakhir")
        assert "✅ 5. Cek service" in last and "menolak koneksi" not in last
        for report in (jf_report["text"], kabid["text"]):
            assert not any(hint in report for hint in SET_UP), report


async def test_a_reported_outage_names_its_reporter_and_lacak_keeps_notes_internal(
    stub: BotApiStub, settings: Settings
) -> None:
    db = settings.netmaint_db
    async with running(Bot(settings, staffed(free_port()))):
        rina = stub.user(USER_ID, "Rina")
        adb, jf = stub.user(ADB_ID, "Andi ADB"), stub.user(JF_ID, "Joko JF")
        await file(stub, rina, "SIAK tidak bisa dibuka di loket 2")
        prompt = await wait_decision(stub, "#K1")
        stub.press(adb, ADB_ID, prompt["message_id"], stub.buttons(prompt)["❌ Tidak"])
        report = await until(lambda: stub.find(JF_CHAT, "Melaporkan ke JF ADB"), what="JF")
        text = report["text"]
        assert f"dilaporkan oleh Rina Marlina pukul {received_hm(db)}" in text
        assert "pemantauan otomatis" not in text
        decisive = section(text, "Temuan yang menentukan")
        assert "2. Melakukan pemeriksaan secara software" in decisive
        assert "layanan SIAK web (127.0.0.1:" in decisive and "menolak koneksi" in decisive

        # The JF ADB calls the vendor; the ADB writes the internal note.
        stub.press(
            jf, JF_CHAT, report["message_id"], stub.buttons(report)["📞 Hubungi pihak ke tiga"]
        )
        vendors = await until(lambda: stub.find(JF_CHAT, "Telkom Indihome"), what="vendors")
        called = stub.buttons(vendors)["📞 Sudah dihubungi: Telkom Indihome"]
        stub.press(jf, JF_CHAT, vendors["message_id"], called)
        await until(lambda: rows(db, "SELECT 1 FROM vendor_calls"), what="the call recorded")
        stub.send_text(adb, f"/catatan 1 {NOTE}")
        await until(lambda: rows(db, "SELECT 1 FROM timeline WHERE kind='note'"), what="note")

        stub.send_text(rina, "/lacak 1")
        mine = await until(lambda: stub.find(USER_ID, "Riwayat keluhan #K1"), what="/lacak")
        text = mine["text"]
        assert NOTE not in text and "catatan ADB" not in text
        assert "7. keputusan: Tidak · Andi Saputra, A.Md." in text
        assert "Telkom Indihome: dihubungi" in text and "oleh Joko Susilo, S.Kom" in text
        assert "Andi ADB" not in text and "Joko JF" not in text

        stub.send_text(adb, "/lacak 1")
        staff = await until(lambda: stub.find(ADB_ID, "Riwayat keluhan #K1"), what="ADB /lacak")
        assert f"📝 catatan ADB: {NOTE} · Andi Saputra, A.Md." in staff["text"]
