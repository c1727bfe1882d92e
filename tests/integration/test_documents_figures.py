"""The recap's figures against an oracle, periods at the office's midnight, and what a reader sees.

The oracle below recomputes the figures with simple code from the histories it wrote
(not from bot/documents/), and the PDF text, the XLSX cells, the CSV and the text agenda
must show exactly those figures in the same words.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.documents.breaks import SHY, ZWSP, breakable, plain
from bot.documents.period import Period, month_period, parse_month
from bot.documents.service import Documents
from bot.documents.table import labels, word
from bot.domain.model import Actor, State
from bot.settings.office import OfficeConfig
from bot.storage import Database
from bot.storage.db import Tx
from checks.config import parse_config
from checks.models import Status
from tests.support.chat_oracle import OFFICE_TOML, office_seconds
from tests.support.documents import TZ

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
STANDARD = 73
SITES = ("Kantor Dinas", "Kecamatan Bayang", None)
ADB = Actor(5001, "andi_adb")
# The office calendar the chat oracle knows (07:30-16:00, Mon-Fri, one day off): the
# share within the standard counts office time, as the SOP clock does.
CONFIG = (
    OFFICE_TOML
    + """
[signatory]
name = "Drs. H. Syafrizal, M.Si"
nip = "19700512 199503 1 002"
"""
)


def office_config() -> OfficeConfig:
    return parse_config(CONFIG, "test.toml", model=OfficeConfig)


@dataclass(frozen=True)
class History:
    """One complaint as the oracle knows it (times UTC)."""

    created: datetime
    outcome: str  # open, closed, dismissed
    seconds: int  # receipt to closing or dismissal
    site: str | None
    verdict: str
    decision: str  # "", ya, tidak


async def write(path: Path, histories: list[History]) -> None:
    async with Database(path) as db, db.write():
        for h in sorted(histories, key=lambda h: h.created):
            tx = Tx(db.connection, h.created)
            iid = await tx.incidents.add(h.site, State.DIAGNOSING)
            cid = await tx.complaints.add(
                state=State.DIAGNOSING,
                reporter=Actor(7001, "Anto"),
                reporter_chat_id=7001,
                channel="chat",
                site=h.site,
                text="Pemeriksaan keluhan: " + "x" * 300,
                incident_id=iid,
            )
            assert cid is not None
            await tx.complaints.event(cid, "diagnosis", round=1, verdict=h.verdict)
            end = Tx(db.connection, h.created + timedelta(seconds=h.seconds))
            if h.decision:
                await end.complaints.event(cid, "decision", actor=ADB, step=7, action=h.decision)
            if h.outcome == "closed":
                await end.complaints.set_state(cid, State.DIAGNOSING, State.CLOSED)
            elif h.outcome == "dismissed":
                await end.complaints.dismiss(cid, "bukan gangguan jaringan")


def oracle(histories: list[History]) -> dict[str, str]:
    """The figures of November 2026 (WIB), computed here in the plainest way."""
    nov = [h for h in histories if h.created.astimezone(TZ).strftime("%Y-%m") == "2026-11"]
    closed = [h for h in nov if h.outcome == "closed"]
    within = [
        h
        for h in closed
        if office_seconds(h.created, h.created + timedelta(seconds=h.seconds)) <= STANDARD * 60
    ]
    if closed:
        pct = f"{100 * len(within) / len(closed):.1f}".replace(".", ",")
        share = f"{len(within)} dari {len(closed)} keluhan ({pct}%)"
    else:
        share = "- (belum ada keluhan yang selesai)"
    return {
        "received": f"{len(nov)} keluhan",
        "closed": f"{len(closed)} keluhan",
        "open": f"{sum(h.outcome == 'open' for h in nov)} keluhan",
        "dismissed": f"{sum(h.outcome == 'dismissed' for h in nov)} keluhan",
        "share": share,
        "n_within": str(len(within)),
        "n_closed": str(len(closed)),
        "n": str(len(nov)),
    }


async def documents(path: Path) -> dict[str, bytes]:
    async with Database(path) as db:
        docs = Documents(db, office_config(), "id", TZ)
        period = parse_month("2026-11", TZ)
        return {
            fmt: (await docs.rekap_document(period, fmt, NOW)).data  # type: ignore[arg-type]
            for fmt in ("pdf", "xlsx", "csv", "text")
        }


def _sheet_words(data: bytes) -> str:
    """The agenda sheet's cells but the complaint's own words (a reporter may type "ok")."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert "Hasil Pemeriksaan" in rows[0] and "Waktu Penyelesaian (menit)" in rows[0]
    text_col = list(rows[0]).index("Uraian Gangguan")
    return " ".join(
        str(v) for row in rows[1:] for i, v in enumerate(row) if v is not None and i != text_col
    )


def pdf_text(data: bytes) -> str:
    """The PDF's text as one line, without the soft hyphens of the table cells."""
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return " ".join(plain(text).split())


# November 2026 in WIB and the minutes around its edges (17:00 UTC is 00:00 WIB).
EDGES = [
    datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC),  # 31 Oct 23:59:59 WIB: October
    datetime(2026, 10, 31, 17, 0, tzinfo=UTC),  # 1 Nov 00:00 WIB: November
    datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC),  # 30 Nov 23:59:59 WIB: November
    datetime(2026, 11, 30, 17, 0, tzinfo=UTC),  # 1 Dec 00:00 WIB: December
]
instants = st.one_of(
    st.sampled_from(EDGES),
    st.datetimes(min_value=datetime(2026, 10, 30), max_value=datetime(2026, 12, 1, 12)).map(
        lambda t: t.replace(microsecond=0, tzinfo=UTC)
    ),
)
histories = st.lists(
    st.builds(
        History,
        created=instants,
        outcome=st.sampled_from(("open", "closed", "closed", "dismissed")),
        # Up to three days: across nights and weekends, where office time and elapsed part.
        seconds=st.one_of(st.integers(60, 260_000), st.sampled_from((73 * 60, 73 * 60 + 1))),
        site=st.sampled_from(SITES),
        verdict=st.sampled_from([str(s) for s in Status] + [""]),
        decision=st.sampled_from(("", "ya", "tidak")),
    ),
    max_size=14,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_every_format_shows_the_oracles_figures_in_the_same_words(hs: list[History]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "netmaint.db"
        asyncio.run(write(path, hs))
        docs = asyncio.run(documents(path))
    want = oracle(hs)
    share_label = "Selesai dalam mutu baku (73 menit jam kerja), dari keluhan yang sudah selesai"

    text = pdf_text(docs["pdf"])
    assert f": {want['share']}" in text
    assert f": {want['received']}" in text
    for words in (
        "Selesai dalam mutu baku (73 menit jam kerja), dari",
        "keluhan yang sudah selesai",
    ):
        assert words in text

    summary = {
        r[0].value: r[1].value
        for r in load_workbook(io.BytesIO(docs["xlsx"]))["Ringkasan"].iter_rows()
    }
    assert summary[share_label] == want["share"]
    assert summary["Jumlah keluhan yang diterima"] == want["received"]
    assert summary["Keluhan yang sudah selesai (jaringan berjalan normal)"] == want["closed"]
    assert summary["Keluhan yang masih ditangani"] == want["open"]
    assert summary["Ditutup karena bukan gangguan jaringan"] == want["dismissed"]

    rows = list(csv.DictReader(io.StringIO(docs["csv"].decode("utf-8-sig"))))
    assert str(len(rows)) == want["n"]
    assert str(sum(r["Sesuai Mutu Baku"] == "Ya" for r in rows)) == want["n_within"]
    assert str(sum(r["Sesuai Mutu Baku"] != "" for r in rows)) == want["n_closed"]

    lines = docs["text"].decode()
    assert f"  {share_label}: {want['share']}\n" in lines
    assert f"  Jumlah keluhan yang diterima: {want['received']}\n" in lines

    # No code on the documents: no None, no English status words, no enum names.
    raw = re.compile(
        r"\b(None|unavailable|diagnosing|awaiting_decision|escalated|dismissed|closed"
        r"|cek_ulang|ok|warn|fail|error)\b"
    )
    for name, body in (
        ("pdf", text),
        ("csv", docs["csv"].decode("utf-8-sig")),
        ("text", lines),
        ("xlsx", " ".join(str(v) for v in summary.values())),
        ("xlsx agenda", _sheet_words(docs["xlsx"])),
    ):
        found = raw.findall(body)
        assert not found, f"{name}: {found}"


# --- periods in the office's zone -------------------------------------------------------------


def test_a_month_runs_from_its_first_midnight_in_wib_to_the_next() -> None:
    nov = month_period(2026, 11, TZ)
    assert nov.start == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    assert nov.end == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    dec = month_period(2026, 12, TZ)
    assert dec.start == nov.end, "months meet without a gap or an overlap"
    assert dec.end == datetime(2026, 12, 31, 17, 0, tzinfo=UTC), "the year ends at 00:00 WIB"
    assert month_period(2027, 1, TZ).start == dec.end
    feb = month_period(2028, 2, TZ)  # a leap year
    assert (feb.first.day, feb.last.day) == (1, 29)


async def test_stored_times_fall_in_the_period_of_their_wib_day(tmp_path: Path) -> None:
    """23:59:59 WIB on the last day of the year is December's; 00:00 WIB is January's."""
    stamps = {
        "31 Dec 23:59 WIB": datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC),
        "1 Jan 00:00 WIB": datetime(2026, 12, 31, 17, 0, tzinfo=UTC),
        "30 Nov 23:59 WIB": datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC),
        "1 Dec 00:00 WIB": datetime(2026, 11, 30, 17, 0, tzinfo=UTC),
        # Written with a +07:00 offset: stored in UTC all the same.
        "1 Dec 07:00 WIB": datetime(2026, 12, 1, 7, 0, tzinfo=TZ),
    }
    path = tmp_path / "netmaint.db"
    async with Database(path) as db, db.write():
        for name, at in stamps.items():
            tx = Tx(db.connection, at)
            await tx.complaints.add(
                state=State.DIAGNOSING,
                reporter=Actor(7001, "Anto"),
                reporter_chat_id=7001,
                channel="chat",
                site=None,
                text=name,
            )
    async with Database(path) as db:
        reads = db.reads.documents

        async def texts(p: Period) -> list[str]:
            return [c.text for c in await reads.complaints(p.start, p.end)]

        assert await texts(month_period(2026, 11, TZ)) == ["30 Nov 23:59 WIB"]
        assert await texts(month_period(2026, 12, TZ)) == [
            "31 Dec 23:59 WIB",
            "1 Dec 00:00 WIB",
            "1 Dec 07:00 WIB",
        ]
        assert await texts(month_period(2027, 1, TZ)) == ["1 Jan 00:00 WIB"]
        day = Period(datetime(2026, 12, 1).date(), datetime(2026, 12, 1).date(), TZ)
        assert await texts(day) == ["1 Dec 00:00 WIB", "1 Dec 07:00 WIB"]
        docs = Documents(db, office_config(), "id", TZ)
        assert docs.today(datetime(2026, 11, 30, 16, 59, tzinfo=UTC)).day == 30
        assert docs.today(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)).day == 1
        # "Last month" asked at 00:30 WIB on 1 January is December, not November.
        assert docs.month(None, datetime(2026, 12, 31, 17, 30, tzinfo=UTC)).key == "2026-12"


# --- words, breaks, pages ---------------------------------------------------------------------


def test_every_stored_value_has_the_offices_word_in_both_languages() -> None:
    values = {
        "state": [str(s) for s in State] + ["dismissed"],
        "short.state": [str(s) for s in State] + ["dismissed"],
        "verdict": [str(s) for s in Status],
        "decision": ["ya", "tidak", "cek_ulang"],
        "short.decision": ["ya", "tidak", "cek_ulang"],
    }
    for lang in ("id", "en"):
        w = labels(lang)
        for kind, keys in values.items():
            for key in keys:
                assert f"{kind}.{key}" in w, (lang, kind, key)
        assert word(w, "state", "not_a_state_yet") == "-", "never the code itself"


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=SHY + ZWSP),
        max_size=300,
    )
)
def test_breaks_only_add_invisible_break_points(text: str) -> None:
    out = breakable(text, "id")
    assert plain(out) == text
    for run in re.split(r"\s+", out):
        for part in re.split(f"[{SHY}{ZWSP}]", run):
            assert len(part) <= 12 or not part.strip(), "every long run can break"


def test_words_break_at_syllables_and_codes_after_their_hyphens() -> None:
    assert breakable("Pemeriksaan", "id") == f"Pe{SHY}me{SHY}rik{SHY}sa{SHY}an"
    assert breakable("Keluhan", "id") == f"Ke{SHY}luh{SHY}an"
    assert breakable("CVPT-2026-1187", "id") == f"CVPT-{ZWSP}2026-{ZWSP}1187"
    assert breakable("01/12/2026", "id") == "01/12/2026", "a date never breaks"


async def test_a_4000_character_word_and_an_empty_month_make_signed_one_page_reports(
    tmp_path: Path,
) -> None:
    path = tmp_path / "netmaint.db"
    at = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    async with Database(path) as db, db.write():
        await Tx(db.connection, at).complaints.add(
            state=State.DIAGNOSING,
            reporter=Actor(7001, "Anto"),
            reporter_chat_id=7001,
            channel="chat",
            site=None,
            text="a" * 4000,
        )
    async with Database(path) as db:
        docs = Documents(db, office_config(), "id", TZ)
        agenda = (await docs.agenda_document(parse_month("2026-11", TZ), "pdf", NOW)).data
        empty = (await docs.rekap_document(parse_month("2026-10", TZ), "pdf", NOW)).data
    pages = PdfReader(io.BytesIO(agenda)).pages
    text = pdf_text(agenda)
    assert max(len(w) for w in text.split()) < 40, "the word broken to fit its column"
    joined = re.sub(r"(?<=a)-? (?=a)", "", text)
    assert "a" * 199 + "… (terpotong; teks lengkap ada di versi XLSX dan CSV)" in joined
    assert len(pages) == 1, "a row never runs off its page"
    assert "Drs. H. Syafrizal, M.Si" in plain(pages[-1].extract_text())
    assert "- –" not in text and "None" not in text
    reader = PdfReader(io.BytesIO(empty))
    assert len(reader.pages) == 1, "an empty month: one page, signature included"
    text = pdf_text(empty)
    assert "Tidak ada keluhan pada periode ini, sehingga tidak ada grafik." in text
    assert "Drs. H. Syafrizal, M.Si" in text and "Halaman 1 dari 1" in text


async def test_the_busy_months_signature_is_never_alone_on_its_page(tmp_path: Path) -> None:
    from tests.support.documents import seed

    path = tmp_path / "netmaint.db"
    async with Database(path) as db:
        plan = await seed(db, [(2026, 11)], 120)
        docs = Documents(db, office_config(), "id", TZ)
        data = (await docs.rekap_document(parse_month("2026-11", TZ), "pdf", NOW)).data
    last = plain(PdfReader(io.BytesIO(data)).pages[-1].extract_text())
    assert f"K{plan[-1].id} / I{plan[-1].incident}" in " ".join(last.split())
    assert "Drs. H. Syafrizal, M.Si" in last


async def test_the_text_agenda_lists_a_dismissed_complaint_apart_without_the_outages_action(
    tmp_path: Path,
) -> None:
    path = tmp_path / "netmaint.db"
    t = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 1 Dec 00:30 WIB
    async with Database(path) as db, db.write():
        tx = Tx(db.connection, t)
        iid = await tx.incidents.add("Kantor Dinas", State.DIAGNOSING)
        ids = []
        for text in ("SIAK mati", "printer macet"):
            cid = await tx.complaints.add(
                state=State.DIAGNOSING,
                reporter=Actor(7001, "Anto"),
                reporter_chat_id=7001,
                channel="chat",
                site="Kantor Dinas",
                text=text,
                incident_id=iid,
            )
            assert cid is not None
            ids.append(cid)
        later = Tx(db.connection, t + timedelta(minutes=20))
        await later.complaints.event(ids[0], "decision", actor=ADB, step=7, action="tidak")
        await later.complaints.set_state(ids[0], State.DIAGNOSING, State.ESCALATED)
        await later.complaints.dismiss(ids[1], "printer, bukan jaringan")
    async with Database(path) as db:
        docs = Documents(db, office_config(), "id", TZ)
        period = Period(t.astimezone(TZ).date(), t.astimezone(TZ).date(), TZ)
        text = (await docs.agenda_document(period, "text", NOW)).data.decode()
    open_part = text.split("Selesai (")[0]
    dismissed_part = text.split("Ditutup — bukan gangguan jaringan (")[1]
    assert "SIAK mati" in open_part and "printer macet" not in open_part
    assert dismissed_part.startswith("1)") and "printer macet" in dismissed_part
    assert "Tidak - lapor JF ADB" in open_part
    assert "Tidak - lapor JF ADB" not in dismissed_part


async def test_what_a_reporter_types_is_printed_as_text_never_read_as_template_code(
    tmp_path: Path,
) -> None:
    typed = '#panic("x") #set page(fill: red) *tebal* $x^2$ <a> @b [c] `d` \\ /* e'
    path = tmp_path / "netmaint.db"
    async with Database(path) as db, db.write():
        await Tx(db.connection, datetime(2026, 11, 3, 2, 0, tzinfo=UTC)).complaints.add(
            state=State.DIAGNOSING,
            reporter=Actor(7001, "Anto"),
            reporter_chat_id=7001,
            channel="chat",
            site="Kantor Dinas",
            text=typed,
        )
    async with Database(path) as db:
        docs = Documents(db, office_config(), "id", TZ)
        data = (await docs.agenda_document(parse_month("2026-11", TZ), "pdf", NOW)).data
    text = re.sub(r"-? (?=[^ ])", " ", pdf_text(data))
    for piece in ('#panic("x")', "#set page(fill: red)", "*tebal*", "$x^2$", "<a>", "@b", "`d`"):
        assert piece in text, piece
