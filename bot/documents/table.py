"""The Buku Agenda as a table: the columns, and each row's cells in the office's words."""

from __future__ import annotations

import logging
import unicodedata
from datetime import date, datetime, time
from functools import cache

from bot.documents.data import AgendaRow, Found
from bot.render import render
from bot.render.dates import short_moment, time_of, weekday

log = logging.getLogger(__name__)

Cell = str | int | datetime | date | time | None  # a datetime is local and naive

COLUMNS = (
    "no",
    "day",
    "date",
    "time",
    "number",
    "incident",
    "reporter",
    "site",
    "text",
    "checks",
    "action",
    "officer",
    "state",
    "vendor",
    "ticket",
    "closed",
    "minutes",
    "within",
    "recovery",
)


@cache
def labels(lang: str) -> dict[str, str]:
    """``templates/<lang>/documents/labels.txt.j2`` as a dict (the office edits the file)."""
    out: dict[str, str] = {}
    for line in render(lang, "documents/labels.txt.j2").splitlines():
        key, sep, text = line.partition("=")
        if sep:
            out[key.strip()] = text.strip()
    return out


def word(words: dict[str, str], kind: str, key: str) -> str:
    """The office's word for a stored value (a state, a verdict, a decision), never the value.

    A value without a label (a state added to the SOP but not to ``labels.txt.j2``) prints
    as "-" and is logged, rather than printing code on an official document."""
    if not key:
        return ""
    text = words.get(f"{kind}.{key}")
    if text is None:
        log.warning("documents/labels.txt.j2 has no %s.%s: printed as %r", kind, key, words["none"])
        return words["none"]
    return text


def headers(lang: str) -> list[str]:
    words = labels(lang)
    return [words[f"col.{c}"] for c in COLUMNS]


def cells(r: AgendaRow, lang: str) -> list[Cell]:
    """One row's cells; dates and times stay typed (the writers format them)."""
    w = labels(lang)
    reporter = r.reporter + (f" ({w['logged_by']} {r.logged_by})" if r.logged_by else "")
    if r.found is not None:
        reporter += f" ({found_words(r.found, r.received.date(), lang)})"
    return [
        r.no,
        weekday(r.received.date(), lang),
        r.received.date(),
        r.received.time().replace(second=0, microsecond=0),
        f"K{r.complaint_id}",
        f"I{r.incident_id}" if r.incident_id is not None else "",
        reporter,
        r.site,
        r.text,
        checks_cell(r, w),
        "; ".join(word(w, "decision", a) for a in r.decisions),
        r.officer,
        word(w, "state", r.state),
        ", ".join(r.vendors),
        ", ".join(r.tickets),
        r.closed.replace(tzinfo=None, second=0, microsecond=0) if r.closed else "",
        round(r.minutes) if r.minutes is not None else None,
        "" if r.within is None else w["within.yes" if r.within else "within.no"],
        word(w, "recovery", r.recovery) if r.recovery else "",
    ]


def checks_cell(r: AgendaRow, w: dict[str, str]) -> str:
    """The checks column: the last diagnosis's verdict and the findings that decided."""
    parts = [word(w, "verdict", r.verdict)]
    if r.findings:
        parts.append(f"{w['decisive']}: {'; '.join(r.findings)}")
    return ". ".join(p for p in parts if p)


def found_words(f: Found, received: date, lang: str) -> str:
    """How the row's outage was found, for a complaint that joined it later."""
    w = labels(lang)
    at = time_of(f.at, lang) if f.at.date() == received else short_moment(f.at, lang)
    if f.monitored:
        return f"{w['found.monitor']} {at}"
    return f"{w['found.reported']} {f.by} {w['found.at']} {at}"


# Terminal control: C0 and C1 controls (ESC, BEL, CR, ...) and the bidirectional overrides
# that make a terminal show text in another order than it is stored.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def printable(text: str) -> str:
    """``text`` safe for a terminal: line breaks become spaces, other controls are dropped."""
    if text.isprintable():  # the common case, checked in C
        return text
    out = []
    for ch in text:
        if ch in "\n\t\r":
            out.append(" ")
        elif unicodedata.category(ch) == "Cc" or ch in _BIDI:
            continue
        else:
            out.append(ch)
    return "".join(out)


# OWASP "CSV Injection": a cell starting with one of these is read as a formula by
# spreadsheet programs; a leading apostrophe makes it text. (A leading LF too: a CR is
# stored as one, and some programs trim leading white space before reading a formula.)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutral(value: str) -> str:
    """A CSV text cell: never a formula; line breaks as LF; no other control characters."""
    formula = value.startswith(FORMULA_START) and value != "-"  # "-": no value, not a formula
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return "'" + value if formula else value
