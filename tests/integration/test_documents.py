"""The documents (SOP step 10 on paper) against figures computed here from what was written.

A month of complaints is written through the storage layer (tests/support/documents.py);
the expected counts, shares and names come from that plan, not from bot/documents/.
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import re
import sqlite3
import statistics
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.documents import charts
from bot.documents.data import AgendaRow
from bot.documents.figures import Share, summarise
from bot.documents.period import PeriodError, parse_date, parse_month
from bot.documents.service import Documents
from bot.documents.table import labels, neutral, printable
from bot.domain.calendar import OfficeCalendar
from bot.settings.office import OfficeConfig
from bot.sop.monthly import first_working_day
from bot.storage import Database
from checks.config import ConfigError, parse_config
from tests.support.chat_oracle import office_seconds
from tests.support.clock import FakeClock
from tests.support.documents import SPECIAL, TZ, Planned, seed

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 1 December 2026, 09:00 in Painan
STANDARD = 73
CONFIG = """
[office]
address = "Jl. Jenderal Sudirman No. 1, Painan"
days_off = ["2026-12-01"]

[signatory]
name = "Drs. H. Syafrizal, M.Si"
nip = "19700512 199503 1 002"

[[staff]]
telegram_id = 5001
name = "Andi Saputra, S.Kom"
nip = "19900101 201501 1 001"
position = "Administrator Database"
"""


def office_config() -> OfficeConfig:
    return parse_config(CONFIG, "test.toml", model=OfficeConfig)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Planned]]:
    """October's last days and November 2026: 30 + 160 complaints."""
    path = tmp_path_factory.mktemp("docs") / "netmaint.db"

    async def write() -> list[Planned]:
        async with Database(path) as db:
            return await seed(db, [(2026, 10), (2026, 11)], 80)

    plan = asyncio.run(write())
    return path, [p for p in plan if p.created.astimezone(TZ).month == 11]


async def document(path: Path, kind: str, fmt: str, **kw: object) -> bytes:
    async with Database(path) as db:
        docs = Documents(db, office_config(), "id", TZ)
        period = parse_month("2026-11", TZ)
        if kind == "rekap":
            return (await docs.rekap_document(period, fmt, NOW, **kw)).data  # type: ignore[arg-type]
        return (await docs.agenda_document(period, fmt, NOW, **kw)).data  # type: ignore[arg-type]


def expected_within(plan: list[Planned]) -> int:
    """Closed within the standard in office time (07:30-16:00 on weekdays: November 2026
    has no holiday), as the SOP clock counts it; the minutes column is elapsed time."""
    return sum(
        1
        for p in plan
        if p.minutes is not None
        and office_seconds(p.created, p.created + timedelta(minutes=p.minutes)) <= STANDARD * 60
    )


# --- CSV ------------------------------------------------------------------------------------


async def test_the_csv_has_one_row_per_complaint_and_the_figures_of_the_plan(
    month: tuple[Path, list[Planned]],
) -> None:
    path, plan = month
    data = await document(path, "agenda", "csv")
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM: Excel reads the encoding"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(plan)
    assert [r["No. Keluhan"] for r in rows] == [f"K{p.id}" for p in plan]
    assert [r["No."] for r in rows] == [str(i) for i in range(1, len(plan) + 1)]
    assert sum(r["Sesuai Mutu Baku"] == "Ya" for r in rows) == expected_within(plan)
    assert sum(r["Status"] == "Selesai - Jaringan berjalan normal" for r in rows) == sum(
        p.closed is not None for p in plan
    )
    by_no = {r["No. Keluhan"]: r for r in rows}
    for p in plan:
        r = by_no[f"K{p.id}"]
        local = p.created.astimezone(TZ)
        assert r["Tanggal"] == local.strftime("%d/%m/%Y") and r["Jam"] == local.strftime("%H:%M")
        assert r["No. Gangguan"] == f"I{p.incident}" and r["Unit/Lokasi"] == p.site
        assert r["Pihak Ketiga"] == (p.vendor or "") and r["No. Tiket"] == (p.ticket or "")
        if p.minutes is not None:
            assert r["Waktu Penyelesaian (menit)"] == str(round(p.minutes))
        if p.decisions:  # the officer: [[staff]]'s name, else the Telegram name
            assert r["Petugas"] == {5001: "Andi Saputra, S.Kom", 5002: "Bayu"}[p.decider_id]
    assert {r["Hari"] for r in rows} <= {"Senin", "Selasa", "Rabu", "Kamis", "Jumat"}


async def test_the_csv_neutralises_formulas_and_can_use_semicolons(
    month: tuple[Path, list[Planned]],
) -> None:
    path, plan = month
    data = await document(path, "agenda", "csv", delimiter=";")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == len(plan) + 1 and len(rows[0]) == 19
    cells = [c for r in rows for c in r]
    formula = next(c for c in cells if "HYPERLINK" in c)
    assert formula == "'" + SPECIAL[3]
    for c in cells:
        assert c == "-" or not c.startswith(("=", "+", "-", "@", "\t", "\r")), c
    assert all(re.fullmatch(r"\d\d/\d\d/2026", r[2]) for r in rows[1:])


def test_neutral_covers_the_owasp_characters() -> None:
    for start in ("=", "+", "-", "@", "\t"):
        assert neutral(start + "1+1") == "'" + start + "1+1"
    assert neutral("\r=1+1") == "'\n=1+1"  # a CR is a line break, and still neutralised
    assert neutral("SIAK mati") == "SIAK mati"
    assert neutral("-") == "-"  # the documents' "no value": no formula, printed as it is


# --- text -----------------------------------------------------------------------------------


async def test_the_text_agenda_strips_terminal_control_characters(
    month: tuple[Path, list[Planned]],
) -> None:
    path, plan = month
    text = (await document(path, "agenda", "text")).decode()
    assert "Printer[31m merah bunyi tertimpa" in text
    for ch in ("\x1b", "\x07", "\r", "\u202e"):
        assert ch not in text
    assert f"Terbuka ({sum(p.closed is None for p in plan)})" in text
    assert printable("a\x1b]0;pwned\x07b\u202ec\r\nd") == "a]0;pwnedbc  d"


# --- XLSX -----------------------------------------------------------------------------------


async def test_the_xlsx_has_real_dates_text_cells_and_the_summary(
    month: tuple[Path, list[Planned]],
) -> None:
    path, plan = month
    wb = load_workbook(io.BytesIO(await document(path, "rekap", "xlsx")))
    ws = wb["Agenda"]
    rows = list(ws.iter_rows(min_row=3))
    assert len(rows) == len(plan)
    assert rows[0][2].is_date and rows[0][2].value.date() == plan[0].created.astimezone(TZ).date()
    formula = next(
        c for r in rows for c in r if isinstance(c.value, str) and "HYPERLINK" in c.value
    )
    assert formula.data_type == "s" and formula.value == SPECIAL[3]
    summary = {r[0].value: r[1].value for r in wb["Ringkasan"].iter_rows()}
    assert summary["Jumlah keluhan yang diterima"] == f"{len(plan)} keluhan"
    incidents = len({p.incident for p in plan})
    assert summary["Jumlah gangguan (satu gangguan dapat dikeluhkan beberapa unit)"] == (
        f"{incidents} gangguan"
    )
    closed = sum(p.closed is not None for p in plan)
    share = f"{expected_within(plan) * 100 / closed:.1f}%".replace(".", ",")
    label = "Selesai dalam mutu baku (73 menit jam kerja), dari keluhan yang sudah selesai"
    assert summary[label] == f"{expected_within(plan)} dari {closed} keluhan ({share})"


# --- the recap's figures and PDF ------------------------------------------------------------


async def test_the_summary_matches_figures_computed_from_the_plan(
    month: tuple[Path, list[Planned]],
) -> None:
    path, plan = month
    async with Database(path) as db:
        docs = Documents(db, office_config(), "id", TZ)
        agenda = await docs.agenda(parse_month("2026-11", TZ))
    s = summarise(agenda.rows)
    minutes = sorted(p.minutes for p in plan if p.minutes is not None)
    assert s.complaints == len(plan) and s.closed == len(minutes)
    assert s.within == Share(expected_within(plan), len(minutes)), "of the closed complaints"
    assert s.median_minutes == pytest.approx(statistics.median(minutes))
    assert s.p90_minutes == pytest.approx(minutes[math.ceil(0.9 * len(minutes)) - 1])
    vendor_incidents = {p.incident for p in plan if p.vendor}
    assert s.vendor_incidents == len(vendor_incidents)
    busiest = max({p.site for p in plan}, key=lambda x: sum(p.site == x for p in plan))
    assert s.busiest_sites[0] == (busiest, sum(p.site == busiest for p in plan))


async def test_the_recap_pdf_reads_as_a_signed_laporan(month: tuple[Path, list[Planned]]) -> None:
    path, plan = month
    data = await document(path, "rekap", "pdf")
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842), "A4"
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    for needle in (
        "PEMERINTAH KABUPATEN PESISIR SELATAN",
        "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
        "Jl. Jenderal Sudirman No. 1, Painan",
        "REKAPITULASI PENANGANAN GANGGUAN JARINGAN",
        "Periode: November 2026",
        "Painan, 1 Desember 2026",
        "Kepala Bidang Pengelolaan Informasi",
        "Drs. H. Syafrizal, M.Si",
        "NIP. 19700512 199503 1 002",
        f": {len(plan)} keluhan",
        f": {len({p.incident for p in plan})} gangguan",
    ):
        assert needle in flat, needle
    closed = sum(p.closed is not None for p in plan)
    share = f"{expected_within(plan) * 100 / closed:.1f}%".replace(".", ",")
    assert f"{expected_within(plan)} dari {closed} keluhan ({share})" in flat
    for p in (plan[0], plan[-1]):
        assert f"K{p.id} / I{p.incident}" in flat
    assert "\x1b" not in text


def test_the_charts_count_every_complaint_once_on_a_round_axis() -> None:
    period = parse_month("2026-11", TZ)

    def row(n: int, day: int, site: str, minutes: float | None) -> AgendaRow:
        return AgendaRow(
            no=n,
            complaint_id=n,
            incident_id=n,
            received=datetime(2026, 11, day, 9, 0, tzinfo=TZ),
            closed=None,
            reporter="Rina",
            logged_by="",
            site=site,
            text="x",
            verdict="ok",
            decisions=(),
            officer="",
            state="closed" if minutes is not None else "diagnosing",
            vendors=(),
            tickets=(),
            minutes=minutes,
            within=None if minutes is None else minutes <= STANDARD,
        )

    rows = [row(1, 3, "Kantor Dinas", 50.0), row(2, 4, "Kantor Dinas", 500.0)]
    rows += [row(3, 30, "Kecamatan Bayang", None)]
    words = labels("id")
    weekly = charts.weekly_by_site(rows, period, words)
    assert weekly.labels == ("1-7", "8-14", "15-21", "22-28", "29-30")
    assert [sum(b) for b in weekly.bars] == [2, 0, 0, 0, 1]
    assert weekly.series == ("Kantor Dinas", "Kecamatan Bayang"), "no empty 'Lainnya'"
    assert weekly.top >= 2 and weekly.ticks[0] == 0 and weekly.ticks[-1] == weekly.top
    hist = charts.resolution(rows, STANDARD, words)
    assert sum(b[0] for b in hist.bars) == 2, "the open complaint has no time yet"
    assert hist.bars[50 // 15][0] == 1 and hist.bars[-1][0] == 1, "500 minutes: the last bar"
    assert hist.labels[-1] == "> 240" and hist.mark_label == "Mutu baku 73"
    assert hist.colours[0] != hist.colours[-1], "bars past the standard stand out"
    assert charts.axis(0) == (1, (0, 1)) and charts.axis(11) == (15, (0, 5, 10, 15))
    assert charts.weeks(period) == [(1, 7), (8, 14), (15, 21), (22, 28), (29, 30)]


# --- periods, config, calendar --------------------------------------------------------------


def test_periods_read_as_offices_write_them() -> None:
    assert parse_month("November 2026", TZ).words("id") == "November 2026"
    assert parse_month("des 2026", TZ).key == "2026-12"
    assert parse_month("02/2026", TZ).last == date(2026, 2, 28)
    assert parse_month("2026-12", TZ).words("en") == "December 2026"
    assert parse_date("02/11/2026") == date(2026, 11, 2) == parse_date("2026-11-02")
    for bad in ("2026-13", "Brumaire 2026", "soon"):
        with pytest.raises(PeriodError, match="expected YYYY-MM"):
            parse_month(bad, TZ)


def test_staff_and_signatory_are_validated_naming_the_key() -> None:
    c = office_config()
    assert c.signatory.nip == "19700512 199503 1 002" and c.staff[0].name == "Andi Saputra, S.Kom"
    with pytest.raises(ConfigError, match="listed twice"):
        parse_config(
            CONFIG + "[[staff]]\ntelegram_id = 5001\nname = 'X'\n", "t.toml", model=OfficeConfig
        )
    with pytest.raises(ConfigError, match="nip"):
        parse_config("[signatory]\nnip = 'NIP-abc'\n", "t.toml", model=OfficeConfig)


def test_the_first_working_day_skips_weekends_days_off_and_national_holidays() -> None:
    calendar = OfficeCalendar(office_config().office, ZoneInfo("Asia/Jakarta"))
    assert first_working_day(2026, 11, calendar) == date(2026, 11, 2)  # 1 Nov is a Sunday
    assert first_working_day(2026, 12, calendar) == date(2026, 12, 2)  # 1 Dec is a day off
    assert first_working_day(2027, 1, calendar) == date(2027, 1, 4)  # 1 Jan: New Year


def test_both_languages_have_the_same_document_templates() -> None:
    t = ROOT / "bot" / "render" / "templates"
    ids = {p.name for p in (t / "id" / "documents").iterdir()}
    assert ids and ids == {p.name for p in (t / "en" / "documents").iterdir()}
    assert labels("id").keys() == labels("en").keys()


# --- the commands ---------------------------------------------------------------------------


def _cli(path: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": "/usr/bin:/bin", "NETMAINT_DB": str(path), "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_netmaint_rekap_and_agenda_write_files_and_name_problems(
    month: tuple[Path, list[Planned]], tmp_path: Path
) -> None:
    path, plan = month
    (tmp_path / "netmaint.toml").write_text(CONFIG)
    out = tmp_path / "rekap.csv"
    done = _cli(
        path, "rekap", "--month", "2026-11", "--format", "csv", "--output", str(out), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert len(list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))) == len(plan) + 1
    agenda = tmp_path / "agenda.xlsx"
    done = _cli(
        path,
        "agenda",
        "--from",
        "02/11/2026",
        "--to",
        "2026-11-06",
        "--format",
        "xlsx",
        "-o",
        str(agenda),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    days = sum(
        date(2026, 11, 2) <= p.created.astimezone(TZ).date() <= date(2026, 11, 6) for p in plan
    )
    assert load_workbook(agenda)["Agenda"].max_row == days + 2
    bad = _cli(path, "rekap", "--month", "2026-13", "-o", str(tmp_path / "x.pdf"), cwd=tmp_path)
    assert bad.returncode == 2 and b"expected YYYY-MM" in bad.stderr
    missing = _cli(tmp_path / "none.db", "rekap", "--format", "csv", cwd=tmp_path)
    assert missing.returncode == 1 and b"NETMAINT_DB" in missing.stderr
    foreign = tmp_path / "other.db"
    sqlite3.connect(foreign).execute("CREATE TABLE photos (id INTEGER)").connection.commit()
    before = foreign.read_bytes()
    not_ours = _cli(foreign, "agenda", cwd=tmp_path)
    assert not_ours.returncode == 2 and b"another program" in not_ours.stderr
    assert b"Traceback" not in not_ours.stderr and foreign.read_bytes() == before
    (tmp_path / "netmaint.toml").write_text("[signatory]\nnickname = 'x'\n")
    wrong = _cli(path, "agenda", cwd=tmp_path)
    assert wrong.returncode == 2 and b"nickname" in wrong.stderr


def test_agenda_and_rekap_name_a_bad_setting_in_the_office_language(tmp_path: Path) -> None:
    """A wrong NETMAINT_TZ or TOML key: said in Indonesian as ``netmaint bot`` says it, exit 2."""
    (tmp_path / ".env").write_text("NETMAINT_TZ=Asia/Painan\n")
    bad_env = _cli(tmp_path / "n.db", "agenda", cwd=tmp_path)
    assert bad_env.returncode == 2
    said = bad_env.stderr.decode()
    assert "perbaiki variabel berikut di .env" in said and "NETMAINT_TZ" in said
    assert "zona waktu IANA seperti Asia/Jakarta" in said
    assert "expected" not in said and "Traceback" not in said
    (tmp_path / ".env").write_text("NETMAINT_LANG=id\n")
    (tmp_path / "netmaint.toml").write_text("[signatory]\nnickname = 'x'\n")
    bad_toml = _cli(tmp_path / "n.db", "rekap", "--format", "csv", cwd=tmp_path)
    assert bad_toml.returncode == 2
    said = bad_toml.stderr.decode()
    assert "perbaiki netmaint.toml" in said and "signatory.nickname" in said
    assert "kunci ini tidak dikenal" in said and "Traceback" not in said


async def test_a_failed_monthly_send_is_tried_again_after_an_hour_not_every_look(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from bot.documents.service import Document
    from bot.sop.monthly import MonthlyRecap

    clock = FakeClock(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))  # 09:00, first working day
    sent: list[str] = []

    async def send(chat: int, doc: Document, caption: str) -> int:
        if not sent:
            sent.append("lost")
            raise ConnectionError("the answer never came")  # it may have arrived anyway
        sent.append(doc.filename)
        return 7

    async with Database(tmp_path / "m.db", clock=clock) as db:
        await seed(db, [(2026, 11)], 5)
        recap = MonthlyRecap(
            Documents(db, office_config(), "id", TZ),
            db,
            -100300,
            clock,
            lambda d: d.filename,
        )
        assert not await recap.tick(send)
        clock.now += timedelta(minutes=5)
        assert not await recap.tick(send) and sent == ["lost"]
        clock.now += timedelta(hours=1)
        assert await recap.tick(send) and sent == ["lost", "rekap-2026-11.pdf"]
        clock.now += timedelta(days=1)
        assert not await recap.tick(send) and len(sent) == 2


def test_a_complaint_closed_as_not_a_network_fault_is_counted_apart() -> None:
    """/tutup: listed in the agenda with its own status, left out of the mutu baku share."""

    def row(n: int, state: str, minutes: float | None) -> AgendaRow:
        return AgendaRow(
            no=n,
            complaint_id=n,
            incident_id=n,
            received=datetime(2026, 11, 2, tzinfo=UTC),
            closed=None,
            reporter="R",
            logged_by="",
            site="Kantor",
            text="t",
            verdict="",
            decisions=(),
            officer="",
            state=state,
            vendors=(),
            tickets=(),
            minutes=minutes,
            within=None if minutes is None else minutes <= 73,
        )

    summary = summarise(
        [row(1, "closed", 30.0), row(2, "closed", 200.0), row(3, "dismissed", None)]
    )
    assert summary.complaints == 3 and summary.closed == 2 and summary.dismissed == 1
    assert summary.within == Share(1, 2) and summary.within.ratio == 0.5
