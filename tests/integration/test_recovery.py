"""The recovery database answer at the workflow level, and in the Buku Agenda's column.

Real SOP services on a real SQLite file; the agent answers at once (the checks are
not the subject). The documents are the real CSV, XLSX and PDF of the month.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.documents.period import parse_month
from bot.domain.model import Action, Actor, Role
from bot.domain.outcomes import Outcome
from bot.services import Services, build_services
from bot.settings.office import OfficeConfig
from bot.sop.workflow import Press
from bot.storage import Database
from checks.config import parse_config
from tests.support.clock import FakeClock
from tests.support.documents import TZ, pdf_text
from tests.support.office import ADB_ID, make_settings
from tests.support.sop import InstantAgent, outcome

ADB = Press(Actor(ADB_ID, "Andi ADB"), frozenset({Role.USER, Role.ADB}), ADB_ID, 1)
CONFIG = """
[[sites]]
name = "Kantor Dinas"

[[sites]]
name = "Kecamatan Bayang"

[limits]
complaints_per_user = 0

[grouping]
window_minutes = 15
"""
COLUMN = "Recovery Database"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Services, FakeClock]]:
    clock, agent = FakeClock(), InstantAgent()
    path = tmp_path / "n.db"
    async with Database(path, clock) as db:
        s = build_services(
            make_settings(path),
            parse_config(CONFIG, model=OfficeConfig),
            db,
            agent_for=lambda site: agent,
            clock=clock,
        )
        try:
            yield s, clock
        finally:
            await s.diagnoses.stop()


def reporter(n: int) -> Actor:
    return Actor(7000 + n, f"Pelapor {n}")


async def file(s: Services, n: int, site: str | None) -> int:
    who = reporter(n)
    cid = await s.workflow.file(
        reporter=who, reporter_chat_id=who.id, channel="chat", site=site, text=f"jaringan mati {n}"
    )
    assert cid is not None
    await s.diagnoses.idle()
    return cid


async def closed_by_ya(s: Services, n: int, site: str | None) -> int:
    """A complaint filed and decided Ya; returns its incident."""
    cid = await file(s, n, site)
    c = await s.db.reads.complaints.get(cid)
    assert c is not None and c.incident_id is not None
    assert await outcome(s.workflow.decide(c.incident_id, Action.YES, ADB)) == Outcome.OK
    return c.incident_id


async def test_the_answer_applies_once_to_an_incident_closed_by_ya(
    world: tuple[Services, FakeClock],
) -> None:
    s, clock = world
    one = await closed_by_ya(s, 1, "Kantor Dinas")
    user = Press(reporter(1), frozenset({Role.USER}), reporter(1).id, 2)
    assert await outcome(s.workflow.answer_recovery(one, True, user)) == Outcome.REFUSED
    assert await outcome(s.workflow.answer_recovery(99, True, ADB)) == Outcome.NOT_FOUND
    assert await s.workflow.preview_recovery(one, ADB) == Outcome.OK
    assert await outcome(s.workflow.answer_recovery(one, False, ADB)) == Outcome.OK
    assert await s.workflow.preview_recovery(one, ADB) == Outcome.STALE
    assert await outcome(s.workflow.answer_recovery(one, True, ADB)) == Outcome.STALE
    assert await s.db.reads.incidents.recovery(one) == "tidak"

    # An incident emptied by /tutup closed without a Ya: nothing to answer there.
    clock.advance(minutes=20)
    cid = await file(s, 2, "Kecamatan Bayang")
    assert await outcome(s.workflow.dismiss(cid, "salah kirim", ADB)) == Outcome.OK
    c = await s.db.reads.complaints.get(cid)
    assert c is not None and c.incident_id is not None
    assert await outcome(s.workflow.answer_recovery(c.incident_id, True, ADB)) == Outcome.STALE
    assert await s.db.reads.incidents.recovery(c.incident_id) is None


async def test_the_agenda_documents_show_each_outages_recovery(
    world: tuple[Services, FakeClock],
) -> None:
    s, clock = world
    done = await closed_by_ya(s, 1, "Kantor Dinas")  # K1: recovery done
    assert await outcome(s.workflow.answer_recovery(done, True, ADB)) == Outcome.OK
    clock.advance(minutes=5)
    await file(s, 2, "Kantor Dinas")  # K2 joins the closed outage: shares its answer
    clock.advance(minutes=1)
    none = await closed_by_ya(s, 3, "Kecamatan Bayang")  # K3: no recovery needed
    assert await outcome(s.workflow.answer_recovery(none, False, ADB)) == Outcome.OK
    clock.advance(minutes=1)
    await closed_by_ya(s, 4, None)  # K4: decided Ya, the question never answered
    clock.advance(minutes=1)
    await file(s, 5, None)  # K5: still being handled
    # K1's reporter says the network is still down: a new outage, whose recovery is open.
    clock.advance(minutes=1)
    press = Press(reporter(1), frozenset({Role.USER}), reporter(1).id, 3)
    assert await outcome(s.workflow.still_down(1, press)) == Outcome.OK
    await s.diagnoses.idle()
    expected = {"K1": "-", "K2": "Ya", "K3": "Tidak", "K4": "-", "K5": "-"}  # as printed
    blank = {k: "" if v == "-" else v for k, v in expected.items()}  # a sheet leaves it empty

    march, now = parse_month("2026-03", TZ), clock()
    docs = s.documents
    data = (await docs.agenda_document(march, "csv", now)).data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["No. Keluhan"]: r[COLUMN] for r in rows} == blank

    wb = load_workbook(io.BytesIO((await docs.agenda_document(march, "xlsx", now)).data))
    table = [[c.value for c in r] for r in wb["Agenda"].iter_rows(min_row=2)]
    col = table[0].index(COLUMN)
    assert {r[4]: r[col] or "" for r in table[1:]} == blank

    text = pdf_text((await docs.agenda_document(march, "pdf", now)).data)
    assert COLUMN.replace(" ", "") in "".join(text.split())  # a narrow column: it wraps
    # Each row ends with its recovery cell, before the next row (or the closing line).
    body = text.split(" Demikian agenda", 1)[0]
    chunks = re.split(r" \d+ Senin ", body)[1:]
    printed = [row.split(" Halaman ", 1)[0].split() for row in chunks]  # a page may end there
    assert [(row[2], row[-1]) for row in printed] == list(expected.items())

    # The terminal's agenda says it beside the action of a closed complaint, only if asked.
    lines = (await docs.agenda_document(march, "text", now)).data.decode().splitlines()
    said = [x.strip() for x in lines if "recovery database" in x]
    assert len(said) == 2
    assert said[0].endswith("· recovery database: Ya") and said[1].endswith("database: Tidak")
