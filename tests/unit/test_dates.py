"""One date style per kind, everywhere a person reads a date (issue 18: "three date styles").

The styles are ``bot.render.dates``'s; these tests render the messages and the documents'
rows that show moments and look for any other way of writing one, and check that no
module or template formats a date itself.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.documents.data import AgendaRow
from bot.documents.period import Period, month_period
from bot.documents.table import cells
from bot.documents.writers import as_text
from bot.domain.events import EventKind
from bot.domain.model import State
from bot.render import dates
from bot.render.views import Views
from bot.storage import Complaint, Event, Incident

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "bot" / "render" / "templates"
TZ = ZoneInfo("Asia/Jakarta")
AT = datetime(2026, 12, 2, 3, 5, tzinfo=UTC)  # Wednesday 2 December 2026, 10.05 WIB
EARLIER = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # Tuesday 1 December, 23.30 WIB

# Ways of writing a moment that are not the office's: ISO, dashes, a zone as an offset,
# a zero-padded day in words, a bare timestamp.
FOREIGN = [
    re.compile(r"\d{4}-\d{2}-\d{2}"),
    re.compile(r"\b\d{2}-\d{2}-\d{4}\b"),
    re.compile(r"\d{2}:\d{2}:\d{2}"),
    re.compile(r"[+-]0[0-9]:?00\b"),
    re.compile(r"\bUTC\b"),
    re.compile(r"\b0\d (Desember|December|Januari|January)"),
    re.compile(r"\bNone\b"),
]


def foreign(text: str, lang: str) -> list[str]:
    found = [m.group(0) for p in FOREIGN for m in p.finditer(text)]
    if lang == "id":  # Indonesian writes 10.05, never 10:05
        found += re.findall(r"\b\d{1,2}:\d{2}\b", text)
    return found


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            (
                "10.05",
                "2 Desember 2026",
                "Rabu, 2 Desember 2026",
                "Desember 2026",
                "2 Desember 2026 pukul 10.05 WIB",
                "02/12/2026 10.05",
            ),
        ),
        (
            "en",
            (
                "10:05",
                "2 December 2026",
                "Wednesday, 2 December 2026",
                "December 2026",
                "2 December 2026, 10:05 WIB",
                "02/12/2026 10:05",
            ),
        ),
    ],
)
def test_each_kind_has_one_style(lang: str, expected: tuple[str, ...]) -> None:
    local = AT.astimezone(TZ)
    assert (
        dates.time_of(local, lang),
        dates.date_of(local.date(), lang),
        dates.day_of(local.date(), lang),
        dates.month_of(local.date(), lang),
        dates.moment(local, lang),
        dates.short_moment(local.replace(tzinfo=None), lang),
    ) == expected
    makassar = AT.astimezone(ZoneInfo("Asia/Makassar"))
    assert dates.moment(makassar, lang).endswith(f"11{'.' if lang == 'id' else ':'}05 WITA")
    assert dates.sheet_time(time(10, 5)) == "10:05", "CSV: what spreadsheets read as a time"


def _complaint(**changes: object) -> Complaint:
    c = Complaint(
        id=7,
        state=State.CLOSED,
        reporter_id=1,
        reporter_chat_id=1,
        reporter_name="Bu Sari",
        filed_by_id=None,
        filed_by_name=None,
        channel="chat",
        site="Kecamatan Lengayang",
        text="SIAK tidak bisa dibuka",
        round=1,
        created_at=EARLIER,
        updated_at=AT,
        closed_at=AT,
        incident_id=4,
    )
    return replace(c, **changes)  # type: ignore[arg-type]


def _event(kind: str, at: datetime, **detail: object) -> Event:
    return Event(1, 7, at, kind, None, 1, 5001, "Andi", None, None, dict(detail))


def _messages(lang: str) -> list[str]:
    """Every message that shows a moment, with moments on two office days."""
    v = Views(lang, TZ)
    c = _complaint()
    view = v.complaint(c)
    inc = v.incident(
        Incident(4, "Kecamatan Lengayang", "awaiting_decision", 1, None, EARLIER, AT, AT, None)
    )
    w = SimpleNamespace(id=3, site="Kantor Dinas", until=AT, reason="ganti switch", by_name="Andi")
    group = v.group([c])
    events = [
        _event(EventKind.FILED, EARLIER, channel="chat"),
        _event(EventKind.NOTE, AT, note="kabel diganti"),
    ]
    return [
        v.html("agenda", open=[view], closed=[view], dismissed=[view], now=AT),
        v.html("mine", items=[view]),
        v.html("status", now=AT, monitoring=True, sites=[], incidents=[inc], windows=[w]),
        v.html("monitor", key="recovered_adb", inc=inc, c=view, at=AT, down_since=EARLIER),
        v.html("fixed", c=view, inc=inc, by="Andi", at=AT),
        v.html("vendor_called", c=view, inc=inc, by="Andi", at=AT, vendor={"name": "Telkom"}),
        v.html("maintenance", key="opened", w=w, sites=[]),
        v.html("note_ask", inc=inc, group=group, action="ya", at=AT),
        v.html("rate_limited", count=3, minutes=10, next_at=AT),
        v.html(
            "sop_clock",
            key="overdue",
            inc=inc,
            group=group,
            since=EARLIER,
            seconds=5400,
            events=events,
        ),
        v.html(
            "sop_clock",
            key="follow_up",
            inc=inc,
            group=group,
            vendor="Telkom",
            since=AT,
            seconds=600,
        ),
    ]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_messages_write_every_moment_the_same_way(lang: str) -> None:
    texts = [t for t in _messages(lang) if t]
    joined = "\n\n".join(texts)
    assert foreign(joined, lang) == [], joined
    at = dates.moment(AT.astimezone(TZ), lang)
    assert joined.count(at) >= 8, joined
    heading = dates.day_of(EARLIER.astimezone(TZ).date(), lang)
    assert heading in joined, "a timeline names each office day, in the office's zone"


def _row(closed: datetime | None) -> AgendaRow:
    return AgendaRow(
        no=1,
        complaint_id=7,
        incident_id=4,
        received=EARLIER.astimezone(TZ),
        reporter="Bu Sari",
        logged_by="",
        site="Kecamatan Lengayang",
        text="SIAK tidak bisa dibuka",
        verdict="",
        decisions=(),
        officer="",
        state="closed" if closed else "diagnosing",
        vendors=(),
        tickets=(),
        closed=closed,
        minutes=95.0 if closed else None,
        within=False if closed else None,
    )


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_documents_row_writes_its_moments_in_the_tables_short_form(lang: str) -> None:
    row = [as_text(v, lang) for v in cells(_row(AT.astimezone(TZ)), lang)]
    sep = "." if lang == "id" else ":"
    assert "01/12/2026" in row and f"23{sep}30" in row and f"02/12/2026 10{sep}05" in row
    assert foreign(" | ".join(row), lang) == []
    period = Period(EARLIER.astimezone(TZ).date(), AT.astimezone(TZ).date(), TZ)
    assert period.words(lang) == (
        "1 Desember 2026 - 2 Desember 2026" if lang == "id" else "1 December 2026 - 2 December 2026"
    )
    assert month_period(2026, 12, TZ).words(lang) == dates.month_of(period.first, lang)


# --- nothing formats a date on its own -----------------------------------------------------

# Only bot/render/dates.py writes a date for a person; storage keeps ISO text in UTC, and a
# period's key names files ("rekap-2026-11.pdf").
FORMATS = re.compile(r"strftime|format_date|format_datetime|format_time|\{[^{}]*:%[a-zA-Z]")
ALLOWED = {
    ("bot/documents/period.py", 'return f"{self.first:%Y-%m}"'),
    ("bot/documents/period.py", 'return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"'),
}


def test_no_module_but_dates_formats_a_date() -> None:
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "bot/render/dates.py" or rel.startswith("bot/storage/"):
            continue
        for line in path.read_text().splitlines():
            if FORMATS.search(line) and (rel, line.strip()) not in ALLOWED:
                found.append(f"{rel}: {line.strip()}")
    assert found == []


# A moment in a template goes through hm(), when() or day(); these names hold text that was
# already written by bot.render.dates (doctor's lines, the documents' rows), or counts.
MOMENT = re.compile(r"\b(\w+_at|at|created|closed|decided|until|since|now|down_since)\b")
PREFORMATTED = {
    "doctor.txt.j2": {"p.since", "p.at", "p.now"},
    "documents/agenda.txt.j2": {"now", "r.closed"},
}


def test_templates_show_moments_only_through_the_filters() -> None:
    found = []
    for lang in ("id", "en"):
        for path in sorted((TEMPLATES / lang).rglob("*.j2")):
            name = path.relative_to(TEMPLATES / lang).as_posix()
            text = path.read_text()
            assert "strftime" not in text and "isoformat" not in text, name
            for m in re.finditer(r"\{\{(.*?)\}\}", text, re.S):
                expr = m.group(1).strip()
                if not MOMENT.search(expr) or re.match(r"(hm|when|day)\(", expr):
                    continue
                if "|length" in expr or expr.startswith("{") or expr == "s.closed":
                    continue  # a count, or a table of words whose keys mention a state
                if expr not in PREFORMATTED.get(name, set()):
                    found.append(f"{lang}/{name}: {{{{ {expr} }}}}")
    assert found == []
