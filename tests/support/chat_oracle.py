"""An oracle for the chat's figures: plain code over the raw tables, and readers of the
chat texts that find each figure by its label.

Independent of the product on purpose: the office calendar, the SOP's standard times
and step pairing are written out again here in the simplest way (not ``bot.domain.timing``,
not our queries), so ``tests/integration/test_chat_figures.py`` can tell a figure the
product computes wrongly from one it shows wrongly.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Jakarta")
DAY_OFF = date(2026, 4, 1)  # the office's own day off (cuti bersama), a Wednesday
# The office calendar the oracle knows: give it to the bot as its [office].
OFFICE_TOML = f"""
[office]
national_holidays = ""
days_off = [{DAY_OFF.isoformat()}]
hours = "07:30-16:00"
"""

# --- the oracle: the SOP's numbers and plain code over the raw tables ------------------------

OPENING, CLOSING = time(7, 30), time(16, 0)
STANDARD = {1: None, 7: 5, 8: 5, 9: 5, 10: None, 11: None}  # the SOP table's longest times
CHECKS = (2, 3, 4, 5, 6)
TOTAL_MAX = 73  # minutes, complaint to report
STATE_WORDS = {
    "diagnosing": "sedang diperiksa",
    "awaiting_decision": "menunggu keputusan ADB",
    "escalated": "dilaporkan ke JF ADB",
    "vendor": "ditangani pihak ke tiga",
    "closed": "selesai — Jaringan berjalan normal",
    "dismissed": "ditutup — bukan gangguan jaringan",
}


def office_seconds(a: datetime, b: datetime) -> float:
    """Seconds of [a, b) on working days (Mon-Fri, not DAY_OFF) between 07:30 and 16:00 WIB."""
    total = 0.0
    day = a.astimezone(TZ).date() - timedelta(days=1)
    while day <= b.astimezone(TZ).date():
        if day.weekday() < 5 and day != DAY_OFF:
            lo = max(a, datetime.combine(day, OPENING, TZ))
            hi = min(b, datetime.combine(day, CLOSING, TZ))
            total += max(0.0, (hi - lo).total_seconds())
        day += timedelta(days=1)
    return total


def utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def table(path: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(path)) as con:
        con.row_factory = sqlite3.Row
        return con.execute(sql, params).fetchall()


@dataclass(frozen=True)
class Expected:
    """A clock as a report should show it."""

    mark: str  # ok, late, running, none, auto, this (the report itself)
    seconds: float = 0.0
    wall: float = 0.0
    times: int = 0
    running: int = 0  # starts not ended yet


def expected_total(start: datetime, now: datetime) -> Expected:
    counted = office_seconds(start, now)
    return Expected(
        "ok" if counted <= TOTAL_MAX * 60 else "late",
        counted,
        (now - start).total_seconds(),
        1,
    )


def expected_steps(path: Path, cid: int, now: datetime, this_step: int) -> dict[str, Expected]:
    """Each step's clock from the complaint's raw step_start/step_end rows."""
    starts: dict[int, list[datetime]] = {}
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    for r in table(
        path,
        "SELECT kind, step, at FROM timeline WHERE complaint_id=? AND kind IN"
        " ('step_start', 'step_end') AND step IS NOT NULL ORDER BY id",
        cid,
    ):
        at = utc(r["at"])
        assert at is not None
        if r["kind"] == "step_start":
            starts.setdefault(r["step"], []).append(at)
        elif starts.get(r["step"]):
            spans.setdefault(r["step"], []).append((starts[r["step"]].pop(0), at))
    out: dict[str, Expected] = {}
    checks = sorted(s for no in CHECKS for s in spans.get(no, []))
    if checks:
        covered, end = 0.0, None
        for a, b in checks:  # the time at least one check ran
            if end is None or a > end:
                covered, end = covered + (b - a).total_seconds(), b
            elif b > end:
                covered, end = covered + (b - end).total_seconds(), b
        out["2-6"] = Expected("auto", covered)
    for no in sorted((spans.keys() | starts.keys()) - set(CHECKS)):
        measured = spans.get(no, []) + [(t, now) for t in starts.get(no, [])]
        counted = [office_seconds(a, b) for a, b in measured]
        wall = sum((b - a).total_seconds() for a, b in measured)
        longest = STANDARD[no]
        if starts.get(no):
            mark = "this" if no == this_step else "running"
        elif longest is None or not measured:
            mark = "none"
        else:
            mark = "ok" if all(s <= longest * 60 for s in counted) else "late"
        out[str(no)] = Expected(mark, sum(counted), wall, len(measured), len(starts.get(no, [])))
    return out


@dataclass(frozen=True)
class AgendaFigures:
    open: dict[int, tuple[str, str]]  # complaint -> (state words, site)
    closed: dict[int, tuple[str, str, str]]  # complaint -> (received, closed, site)
    dismissed: dict[int, tuple[str, str, str]]


def expected_agenda(path: Path, now: datetime) -> AgendaFigures:
    """Open complaints, and today's (WIB) closings apart from today's dismissals."""
    midnight = datetime.combine(now.astimezone(TZ).date(), time(0), TZ)
    got = AgendaFigures({}, {}, {})
    for c in table(path, "SELECT * FROM complaints ORDER BY id"):
        site = c["site"] or ""  # no site: the line leaves the part out
        if c["state"] != "closed":
            got.open[c["id"]] = (STATE_WORDS[c["state"]], site)
            continue
        closed, created = utc(c["closed_at"]), utc(c["created_at"])
        assert closed is not None and created is not None
        if closed < midnight:
            continue
        hm = (created.astimezone(TZ).strftime("%H.%M"), closed.astimezone(TZ).strftime("%H.%M"))
        (got.dismissed if c["dismissed"] is not None else got.closed)[c["id"]] = (*hm, site)
    return got


# --- reading the chat texts ------------------------------------------------------------------

MARKS = {
    "🟢 sesuai mutu baku": "ok",
    "🔴 melewati mutu baku": "late",
    "⏳ sedang berlangsung": "running",
    "🤖 otomatis": "auto",
    "·": "none",
    "📨": "this",
}


def seconds_of(text: str) -> tuple[float, float]:
    """A duration as the chat writes it, and how close to the truth it is."""
    m = re.fullmatch(r"(\d+),(\d) detik", text)
    if m:
        return int(m[1]) + int(m[2]) / 10, 0.05
    parts = dict((unit, int(n)) for n, unit in re.findall(r"(\d+) (hari|jam|menit)", text))
    assert re.fullmatch(r"(\d+ (hari|jam|menit) ?)+", text), text
    minutes = parts.get("hari", 0) * 1440 + parts.get("jam", 0) * 60 + parts.get("menit", 0)
    return minutes * 60.0, 30.0


def close(shown: str, want: float, what: str) -> None:
    value, within = seconds_of(shown)
    assert abs(value - want) <= within + 1e-6, f"{what}: shows {shown!r}, oracle {want:.1f} s"


def section(text: str, label: str) -> tuple[int, list[str]]:
    """A list under its bold heading: the count it states and its entries."""
    m = re.search(rf"<b>{re.escape(label)} \((\d+)\)</b>\n(.*?)(?:\n\n|\Z)", text, re.S)
    assert m, f"no {label!r} in {text!r}"
    return int(m[1]), [line for line in m[2].splitlines() if line.startswith("#K")]


def number(line: str) -> int:
    m = re.match(r"#K(\d+)", line)
    assert m
    return int(m[1])


def _site(rest: list[str]) -> str:
    """The site part of a line's rest ("site · reporter: text"); none when left out."""
    return rest[0] if len(rest) > 1 else ""


def _state_and_site(parts: list[str]) -> tuple[str, str]:
    return parts[2], _site(parts[3:])


def check_agenda(text: str, want: AgendaFigures) -> None:
    count, lines = section(text, "Terbuka")
    assert count == len(lines) == len(want.open), text
    shown_open = {number(x): _state_and_site(x.split(" · ")) for x in lines}
    assert shown_open == want.open, text
    for label, expected in (
        ("Selesai hari ini", want.closed),
        ("Ditutup hari ini — bukan gangguan jaringan", want.dismissed),
    ):
        count, lines = section(text, label)
        assert count == len(lines) == len(expected), (label, text)
        shown = {
            number(x): (*x.split(" · ")[1].split("–"), _site(x.split(" · ")[2:])) for x in lines
        }
        assert shown == expected, (label, text)
    per_site = Counter(site for _, site in want.open.values())
    assert Counter(x for _, x in shown_open.values()) == per_site


def check_report(text: str, total: Expected, steps: dict[str, Expected]) -> None:
    m = re.search(
        r"Waktu penanganan sejak keluhan (?:pertama )?diterima: (.+?) — (.+?) \(SOP: 43-73 menit"
        r"(?:; seluruhnya (.+?), di luar jam kantor tidak dihitung)?\)\.",
        text,
    )
    assert m, text
    close(m[1], total.seconds, "total")
    assert MARKS[m[2]] == total.mark, (m[2], total)
    if total.wall - total.seconds >= 1:
        assert m[3] is not None, "the paused total says how long it took in all"
        close(m[3], total.wall, "total, in all")
    else:
        assert m[3] is None
    check_steps(text, steps)


def check_steps(text: str, steps: dict[str, Expected]) -> None:
    """The "Waktu per langkah SOP" block of a report or a history."""
    block = text.split("<b>Waktu per langkah SOP</b>\n", 1)[1].split("\n\n", 1)[0]
    shown: dict[str, str] = {}
    for line in block.splitlines():
        row = re.fullmatch(r"(.+?) (\d+(?:-\d+)?)\. (.+)", line)
        assert row, line
        shown[row[2]] = line
        want = steps.get(row[2])
        assert want is not None, f"step {row[2]} shown, not in the timeline: {line}"
        mark = MARKS[row[1]]
        assert mark == want.mark, (line, want)
        rest = row[3].split(": ", 1)[1]
        if mark == "this":
            assert rest.startswith("laporan ini"), line
            continue
        if mark == "auto":
            close(rest.split(" (menggantikan")[0], want.seconds, line)
            continue
        figure = re.match(r"(.+?)(?: \((\d+) kali\))?(?: · |$)", rest)
        assert figure, line
        close(figure[1], want.seconds, line)
        assert int(figure[2] or 1) == want.times, (line, want)
        paused = re.search(r"di luar jam kantor tidak dihitung \(seluruhnya (.+?)\)", rest)
        assert (paused is not None) == (want.wall - want.seconds >= 1), (line, want)
        if paused:
            close(paused[1], want.wall, line)
    assert shown.keys() == steps.keys(), (block, steps)


# Steps whose clock stops when a message is delivered (the acknowledgement, the reports):
# they may run in any state until the sender has delivered it.
DELIVERED_STEPS = frozenset({"1", "8", "9"})


def check_running(state: str, steps: dict[str, Expected], what: str) -> None:
    """The steps running are those the complaint's state says: the decision (7) while it
    awaits it, the third party (11) while with it, the agenda entry (10) until it closes."""
    running = {no for no, e in steps.items() if e.mark in ("running", "this")}
    want = {"7"} if state == "awaiting_decision" else {"11"} if state == "vendor" else set()
    if state != "closed":
        want.add("10")
    assert running - DELIVERED_STEPS == want, (what, state, steps)
    for no in running - DELIVERED_STEPS:  # two reports may wait for the sender at once
        assert steps[no].running == 1, (what, f"step {no} runs twice at once", steps)
