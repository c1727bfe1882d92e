"""A part that is empty leaves no mark: no "- – Anto", no "Tindakan: - · -", no ", 2 Desember".

Issue 18 saw "- – Anto" in the Rekapitulasi: a reporter without a unit/site joined to the
empty site with a dash. Every join of parts that may be missing (the recap's Unit/Pelapor
cell, the text agenda's action line, the signature's city and position, the /agenda and
/status lines) is rendered here with those parts missing, in every format that shows it.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.documents import pdf, writers
from bot.documents.breaks import plain
from bot.documents.data import Agenda, AgendaRow
from bot.documents.figures import summarise
from bot.documents.period import month_period
from bot.domain.model import State
from bot.render.views import Views
from bot.settings.office import Office, Signatory
from bot.storage import Complaint, Incident

TZ = ZoneInfo("Asia/Jakarta")
AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
# A dash, a dot or a comma with nothing before it, or two marks with nothing between.
DANGLING = [
    re.compile(r"(^|[\s(])[-–·,]\s*[-–·,:]"),  # "- – Anto", "Tindakan: - · -", "· - ·"
    re.compile(r"(^|\n)\s*[–·,]\s"),  # a line that starts with the join
    re.compile(r"[–·]\s*($|\n)|,\s*:"),  # a join that ends a line or a cell
]


def dangling(text: str) -> list[str]:
    return [m.group(0) for p in DANGLING for m in p.finditer(text)]


def _row(no: int, **changes: object) -> AgendaRow:
    fields: dict[str, object] = {
        "no": no,
        "complaint_id": no,
        "incident_id": None,
        "received": AT.astimezone(TZ),
        "closed": None,
        "reporter": "Anto",
        "logged_by": "",
        "site": "",
        "text": "SIAK tidak bisa dibuka",
        "verdict": "",
        "decisions": (),
        "officer": "",
        "state": "diagnosing",
        "vendors": (),
        "tickets": (),
        "minutes": None,
        "within": None,
    }
    fields.update(changes)
    return AgendaRow(**fields)  # type: ignore[arg-type]


ROWS = (
    _row(1),  # no site, no answer yet
    _row(
        2, decisions=("ya",), state="closed", closed=AT.astimezone(TZ), minutes=30.0, within=True
    ),  # answered, the officer unknown
    _row(3, officer="Andi", decisions=("tidak",), vendors=("Telkom",), state="vendor"),
    _row(4, state="closed", closed=AT.astimezone(TZ), minutes=50.0, within=True),
)
AGENDA = Agenda(month_period(2026, 11, TZ), ROWS, 73.0)
BARE_OFFICE = Office(city="")
BARE_SIGNATORY = Signatory(position="", name="Drs. H. Syafrizal, M.Si")


def pdf_text(data: bytes) -> list[str]:
    """Each page's lines, without the soft hyphens of the table cells."""
    return [plain(p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages]


def test_the_recap_and_agenda_pdfs_leave_no_mark_for_a_missing_part() -> None:
    signed = date(2026, 12, 1)
    rekap = "\n".join(
        pdf_text(pdf.rekap_pdf(AGENDA, summarise(ROWS), "id", BARE_OFFICE, BARE_SIGNATORY, signed))
    )
    agenda = "\n".join(pdf_text(pdf.agenda_pdf(AGENDA, "id", BARE_OFFICE, BARE_SIGNATORY, signed)))
    for name, text in (("rekap", rekap), ("agenda", agenda)):
        assert dangling(text) == [], f"{name}: {text}"
        assert "1 Desember 2026" in text and "Drs. H. Syafrizal, M.Si" in text, name
    assert "Anto" in rekap and "– Anto" not in rekap
    flat = " ".join(rekap.split())
    assert "terbanyak : Tanpa lokasi (4)" in flat, "an unknown site is said in words, not '-'"
    assert "(jaringan belum berfungsi) : 1 keluhan" in flat, "only K3 was answered Tidak"


def test_the_recaps_unit_and_reporter_cell_names_only_what_is_known() -> None:
    cells = [r["cells"][3] for r in pdf._rekap_rows(ROWS, "id")]
    assert [plain(c) for c in cells[:1]] == ["Anto"]
    with_site = pdf._rekap_rows((_row(5, site="Kecamatan Lengayang"),), "id")
    assert plain(with_site[0]["cells"][3]) == "Kecamatan Lengayang – Anto"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_text_agenda_and_sheets_leave_no_mark_for_a_missing_part(lang: str) -> None:
    text = writers.agenda_text(AGENDA, lang, "1 Desember 2026 pukul 09.00 WIB", summarise(ROWS))
    action = [
        line.strip()
        for line in text.splitlines()
        if line.strip().startswith(("Tindakan", "Action"))
    ]
    assert action, text
    for line in action:
        assert dangling(line) == [], line
    sheet = load_workbook(io.BytesIO(writers.agenda_xlsx(AGENDA, lang, "Agenda")))
    for row in sheet.worksheets[0].iter_rows(min_row=3, values_only=True):
        for value in row:
            assert value != "-" and not (isinstance(value, str) and dangling(value)), row


def _complaint(site: str | None) -> Complaint:
    return Complaint(
        id=7, state=State.DIAGNOSING, reporter_id=1, reporter_chat_id=1, reporter_name="Anto",
        filed_by_id=None, filed_by_name=None, channel="chat", site=site,
        text="SIAK tidak bisa dibuka", round=1, created_at=AT, updated_at=AT, closed_at=None,
        incident_id=4,
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["id", "en"])
def test_agenda_and_status_in_chat_skip_an_unknown_site(lang: str) -> None:
    v = Views(lang, TZ)
    view = v.complaint(_complaint(None))
    inc = v.incident(Incident(4, None, "awaiting_decision", 1, None, AT, AT, None, None))
    agenda = v.html("agenda", open=[view], closed=[], dismissed=[view], now=AT)
    status = v.html("status", now=AT, monitoring=True, sites=[], incidents=[inc], windows=[])
    for text in (agenda, status):
        assert "· - ·" not in text and dangling(re.sub(r"<[^>]+>", "", text)) == [], text
    assert "· Anto:" in agenda
