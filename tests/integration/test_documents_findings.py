"""The Buku Agenda carries what decided each outage and how it was found (issue 18).

Real SOP services on a real SQLite file, the real checks run on this machine against
loopback: the SIAK port is one nothing listens on, so step 5 fails as it would for an
ADB. The agenda's checks column then names that finding in the words of the ADB's
prompt; a complaint that joined someone else's outage says who reported it, and an
outage monitoring found says so.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from bot.agents import agent_lookup
from bot.documents.breaks import plain
from bot.documents.period import parse_month
from bot.domain.model import Action, Actor, Role
from bot.domain.outcomes import Outcome
from bot.services import build_services
from bot.settings.office import OfficeConfig
from bot.sop.workflow import Press
from bot.storage import Database
from checks.config import parse_config
from tests.support.clock import FakeClock
from tests.support.loopback import free_port
from tests.support.office import ADB_ID, FAST_CHECKS_TOML, SITES_TOML, USER_ID, make_settings
from tests.support.sop import outcome

ADB = Press(Actor(ADB_ID, "Andi ADB"), frozenset({Role.USER, Role.ADB}), ADB_ID, 1)
RINA = Actor(USER_ID, "Rina")
BUDI = Actor(USER_ID + 1, "Budi")


def office(port: int) -> OfficeConfig:
    return parse_config(
        FAST_CHECKS_TOML
        + SITES_TOML
        + f"""
[[services]]
name = "SIAK web"
host = "127.0.0.1"
port = {port}

[[staff]]
telegram_id = {USER_ID}
name = "Rina Marlina"
""",
        "docs.toml",
        model=OfficeConfig,
    )


async def test_the_agenda_names_the_deciding_finding_and_who_found_the_outage(
    tmp_path: Path,
) -> None:
    port = free_port()
    clock = FakeClock()  # Monday 08:00 WIB
    config = office(port)
    async with Database(tmp_path / "n.db", clock) as db:
        s = build_services(
            make_settings(tmp_path / "n.db"),
            config,
            db,
            agent_for=agent_lookup(config, {}),
            clock=clock,
        )
        try:
            first = await s.workflow.file(
                reporter=RINA,
                reporter_chat_id=RINA.id,
                channel="chat",
                site="Kantor Dinas",
                text="SIAK tidak bisa dibuka",
            )
            await s.diagnoses.idle()
            assert await outcome(s.workflow.decide(1, Action.NO, ADB)) == Outcome.OK
            clock.advance(minutes=5)
            joined = await s.workflow.file(
                reporter=BUDI,
                reporter_chat_id=BUDI.id,
                channel="chat",
                site="Kantor Dinas",
                text="loket 3 juga mati",
            )
            clock.advance(minutes=5)
            monitored = await s.workflow.file_monitored(
                "Kecamatan Koto XI Tarusan", "Pemantauan otomatis: tidak menjawab SIAK web."
            )
            clock.advance(minutes=2)
            later = await s.workflow.file(
                reporter=BUDI,
                reporter_chat_id=BUDI.id,
                channel="chat",
                site="Kecamatan Koto XI Tarusan",
                text="SIAK kecamatan putus",
            )
            await s.diagnoses.idle()
            assert (first, joined, monitored, later) == (1, 2, 2, 4)
            march = parse_month("2026-03", ZoneInfo("Asia/Jakarta"))
            doc = await s.documents.agenda_document(march, "csv", clock.now)
            terminal = (await s.documents.agenda_document(march, "text", clock.now)).data
            recap = (await s.documents.rekap_document(march, "pdf", clock.now)).data
        finally:
            await s.diagnoses.stop()
    table = list(csv.reader(io.StringIO(doc.data.decode("utf-8-sig"))))
    column = table[0].index("Hasil Pemeriksaan")
    checks = {row[4]: row[column] for row in table[1:]}
    who = {row[4]: row[table[0].index("Pelapor")] for row in table[1:]}
    refused = f"layanan SIAK web (127.0.0.1:{port}) menolak koneksi"
    assert checks["K1"].startswith("Ditemukan gangguan. Temuan yang menentukan: ")
    assert all(refused in checks[k] for k in ("K1", "K2", "K3", "K4"))
    # The complaint that opened an outage says it by its own reporter and receipt.
    assert who["K1"] == "Rina Marlina" and who["K3"] == "netmaint (pemantauan)"
    assert who["K2"] == "Budi (gangguan dilaporkan oleh Rina Marlina pukul 08.00)"
    assert who["K4"] == "Budi (gangguan ditemukan oleh pemantauan otomatis pukul 08.10)"
    for text in checks.values():
        assert "tambahkan" not in text and "netmaint.toml" not in text
    assert f"Hasil pemeriksaan: Ditemukan gangguan. Temuan yang menentukan: {refused}" in (
        terminal.decode()
    )
    recap_text = plain(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(recap)).pages))
    # The recap's brief description carries the finding too (cut short, as its text is).
    recap_row = " ".join(recap_text.split()).split("SIAK tidak bisa dibuka — ", 1)[1]
    assert "menolak koneksi" in recap_row.split(" Tidak · ", 1)[0]
