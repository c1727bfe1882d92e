"""The Berita Acara Gangguan Jaringan of one incident, read back from its PDF (issue 21).

Real SOP services on a real SQLite file; the real checks run against loopback: the
Kantor Dinas reaches SIAK over its LAN (the gateway answers) and the VPN (a TCP port
nothing listens on, so the VPN is the break). Two reporters complain, the ADB answers
Tidak, the JF ADB calls the ISP and records its ticket, the ISP repairs, the ADB answers
Ya and writes the cause: the document names all of it, in the office's words.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.model import Action, Actor, Role
from bot.domain.outcomes import Outcome, Refused
from bot.render import buttons
from bot.settings.office import OfficeConfig
from bot.sop.berita import incident_number, is_complaint_number
from bot.sop.workflow import Press
from checks.config import parse_config
from tests.support.clock import FakeClock
from tests.support.documents import pdf_text
from tests.support.loopback import free_port
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, JF_CHAT, USER_ID
from tests.support.sop import outcome, sop_services

ADB = Press(Actor(ADB_ID, "andi_adb"), frozenset({Role.USER, Role.ADB}), ADB_ID, 1)
JF = Press(Actor(9100, "Joko JF"), frozenset({Role.JF_ADB}), JF_CHAT, 2)
RINA = Actor(USER_ID, "Rina")
BUDI = Actor(USER_ID + 1, "Budi")


OFFICE_TOML = (
    FAST_CHECKS_TOML
    + """
[[services]]
name = "VPN SIAK"
host = "127.0.0.1"
port = {vpn_port}

[[vendors]]
name = "ISP Telkom"
phone = "147"

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

[[sites]]
name = "Kantor Dinas"
path = ["LAN Dinas", "VPN SIAK"]

[[sites]]
name = "Kecamatan Koto XI Tarusan"

[[staff]]
telegram_id = ADB_ID
name = "Andi Saputra, S.Kom."
nip = "19900101 201501 1 001"
position = "Administrator Database"

[signatory]
name = "Dra. Yuliarni, M.Si."
nip = "19700202 199503 2 002"
""".replace("ADB_ID", str(ADB_ID))
)


def office(vpn_port: int) -> OfficeConfig:
    return parse_config(OFFICE_TOML.format(vpn_port=vpn_port), "ba.toml", model=OfficeConfig)


async def test_the_berita_acara_records_the_whole_outage(tmp_path: Path) -> None:
    clock = FakeClock()  # Monday 08:00 WIB
    async with sop_services(tmp_path / "n.db", office(free_port()), clock) as s:
        await s.workflow.file(
            reporter=RINA,
            reporter_chat_id=RINA.id,
            channel="chat",
            site="Kantor Dinas",
            text="SIAK tidak bisa dibuka di loket 1",
        )
        await s.diagnoses.idle()
        clock.advance(minutes=3)
        await s.workflow.file(
            reporter=BUDI,
            reporter_chat_id=BUDI.id,
            channel="chat",
            site="Kantor Dinas",
            text="loket 3 juga tidak bisa cetak KK",
        )
        clock.advance(minutes=2)
        assert await outcome(s.workflow.decide(1, Action.NO, ADB)) == Outcome.OK
        clock.advance(minutes=10)
        assert await outcome(s.workflow.call_vendor(1, buttons.key("ISP Telkom"), JF)) == (
            Outcome.OK
        )
        assert await outcome(s.workflow.set_ticket(1, "TLK-778812", JF)) == Outcome.OK
        clock.advance(minutes=95)
        assert await outcome(s.workflow.fixed(1, JF)) == Outcome.OK
        await s.diagnoses.idle()
        clock.advance(minutes=5)
        assert await outcome(s.workflow.decide(1, Action.YES, ADB)) == Outcome.OK
        note = "Router VPN hang karena listrik padam; ISP mengganti adaptor dan me-restart router."
        assert await outcome(s.workflow.add_note(1, note, ADB)) == Outcome.OK
        doc = await s.berita.document(1, clock.now)
        with pytest.raises(Refused) as refused:
            await s.berita.document(99, clock.now)
    assert refused.value.outcome == Outcome.NOT_FOUND
    assert doc.filename == "berita-acara-I1.pdf" and doc.complaints == 2
    (tmp_path / doc.filename).write_bytes(doc.data)
    text = pdf_text(doc.data)
    # The kop, the title, the number and the day in words.
    assert "PEMERINTAH KABUPATEN PESISIR SELATAN" in text
    assert "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL" in text
    assert "BERITA ACARA GANGGUAN JARINGAN" in text and "/ BA-I1 / 2026" in text
    assert "Pada hari ini Senin, tanggal dua Maret tahun dua ribu dua puluh enam" in text
    # Both times, and the duration in office time and in all (08.00 to 09.55: 1 h 55 min).
    assert "Mulai : 2 Maret 2026 pukul 08.00 WIB" in text
    assert "Selesai : 2 Maret 2026 pukul 09.55 WIB" in text
    assert "Lama gangguan : 1 jam 55 menit dalam jam kerja kantor (melewati mutu baku" in text
    # The broken part, who repairs it, and what did not answer.
    fault = "Titik gangguan : VPN SIAK (VPN), diperbaiki oleh ISP Telkom (ID layanan 4700123456)"
    assert fault in text
    assert "Lokasi terdampak : Kantor Dinas" in text
    assert "Layanan tidak menjawab : VPN SIAK" in text
    # The complaints, the checks, the call with its ticket, the ADB's note.
    assert "#K1" in text and "SIAK tidak bisa dibuka di loket 1" in text and "Rina" in text
    assert "#K2" in text and "loket 3 juga tidak bisa cetak KK" in text and "Budi" in text
    assert "Cek service di server apakah berjalan normal Ditemukan gangguan" in text
    assert "ISP Telkom 02/03/2026 08.15 WIB (Joko JF) TLK-778812 02/03/2026 09.50 WIB" in text
    assert note in text
    # Both signature blocks: the ADB who decided (from [[staff]]) and the Kabid.
    assert "Yang membuat, Mengetahui, Administrator Database Kepala Bidang Pengelolaan" in text
    assert "Andi Saputra, S.Kom. Dra. Yuliarni, M.Si." in text
    assert "NIP. 19900101 201501 1 001 NIP. 19700202 199503 2 002" in text
    assert "Painan, 2 Maret 2026" in text
    for raw in ("None", "vpn", "closed", "ya)", "fail"):
        assert raw not in text, raw


async def test_a_merged_outage_gives_the_one_it_joined_and_nights_do_not_count(
    tmp_path: Path,
) -> None:
    """Monday 15.30 to Tuesday 08.30 WIB: 30 + 60 minutes of office time (07.30-16.00), 17
    hours in all; #I2, merged into #I1, is the Berita Acara of #I1 with both complaints."""
    clock = FakeClock(datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
    async with sop_services(tmp_path / "n.db", office(free_port()), clock) as s:
        for who, site in ((RINA, "Kantor Dinas"), (BUDI, "Kecamatan Koto XI Tarusan")):
            await s.workflow.file(
                reporter=who, reporter_chat_id=who.id, channel="chat", site=site, text="putus"
            )
        await s.diagnoses.idle()
        assert await outcome(s.workflow.merge(1, 2, ADB)) == Outcome.OK
        await s.diagnoses.idle()
        clock.advance(hours=17)
        assert await outcome(s.workflow.decide(1, Action.YES, ADB)) == Outcome.OK
        doc = await s.berita.document(2, clock.now)
    assert doc.subject == "#I1" and doc.complaints == 2
    text = pdf_text(doc.data)
    assert "/ BA-I1 / 2026" in text and "Pada hari ini Selasa, tanggal tiga Maret" in text
    assert "Lama gangguan : 1 jam 30 menit dalam jam kerja kantor; seluruhnya 17 jam" in text
    assert "Lokasi terdampak : Kantor Dinas, Kecamatan Koto XI Tarusan" in text
    assert "Tidak ada catatan ADB." in text and "Tidak ada pihak ketiga yang dihubungi." in text


def test_the_number_is_read_as_the_office_writes_it() -> None:
    assert [incident_number(t) for t in ("12", "#I12", "i12", " I7 ")] == [12, 12, 12, 7]
    assert incident_number("#K12") is None and incident_number("dua belas") is None
    assert is_complaint_number("#K12") and not is_complaint_number("#I12")


def _cli(db: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": "/usr/bin:/bin", "NETMAINT_DB": str(db), "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "berita-acara", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=120,
        check=False,
    )


async def test_netmaint_berita_acara_writes_the_pdf_and_names_what_is_wrong(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    db = tmp_path / "n.db"
    toml = tmp_path / "netmaint.toml"
    toml.write_text(OFFICE_TOML.format(vpn_port=free_port()))
    async with sop_services(db, office(free_port()), clock) as s:
        await s.workflow.file(
            reporter=RINA,
            reporter_chat_id=RINA.id,
            channel="chat",
            site="Kantor Dinas",
            text="SIAK putus",
        )
        await s.diagnoses.idle()
        clock.advance(minutes=20)
        assert await outcome(s.workflow.decide(1, Action.YES, ADB)) == Outcome.OK
        # 20 minutes: attached to the Kabid's report after 10, not after 60, never with 0.
        assert [await s.berita.due(1, m) is not None for m in (10, 60, 0)] == [True, False, False]
    out = tmp_path / "ba.pdf"
    done = _cli(db, "--incident", "#I1", "--output", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"1 complaints, #I1" in done.stderr
    text = pdf_text(out.read_bytes())
    assert "BERITA ACARA GANGGUAN JARINGAN" in text and "Titik gangguan : VPN SIAK (VPN)" in text
    assert "Selesai : 2 Maret 2026 pukul 08.20 WIB" in text
    unknown = _cli(db, "--incident", "42", "-o", str(tmp_path / "x.pdf"), cwd=tmp_path)
    assert unknown.returncode == 1 and b"#I42: no such incident" in unknown.stderr
    assert not (tmp_path / "x.pdf").exists()
    garbled = _cli(db, "--incident", "#K1", "-o", str(tmp_path / "x.pdf"), cwd=tmp_path)
    assert garbled.returncode == 2 and b"expected an incident's number" in garbled.stderr
    toml.write_text("[sla]\nberita_acara_after = 5\n")
    wrong = _cli(db, "--incident", "1", "-o", str(tmp_path / "x.pdf"), cwd=tmp_path)
    assert wrong.returncode == 2 and b"sla.berita_acara_after" in wrong.stderr
    assert b"Traceback" not in wrong.stderr + unknown.stderr + garbled.stderr
