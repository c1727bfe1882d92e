"""Every date and time a person reads, in one style per kind (chat, letters, PDF, terminal).

One function per kind, so a message, a report and a document never write the same
moment three ways (issue 18 saw "02-12-2026 10:15", "02/12/2026 10:15" and "Rabu,
2 Desember 2026 pukul 10.15 WIB"). In Indonesian a time is written "10.15" (PUEBI),
in English "10:15"; the zone is the office's, by its Indonesian name (WIB, WITA, WIT).

- ``time_of``: "10.15", after a day already named (a timeline, "mulai pukul ...").
- ``date_of``: "2 Desember 2026"; ``day_of``: "Rabu, 2 Desember 2026" (a heading);
  ``month_of``: "Desember 2026".
- ``moment``: "2 Desember 2026 pukul 10.15 WIB", a moment in a sentence or a list.
- ``day_in_words``: "Rabu, tanggal dua Desember tahun dua ribu dua puluh enam", the
  opening of a Berita Acara (naskah dinas spells the date out).
- ``weekday``/``short_weekday``: "Rabu"/"Rab", a table's day column.
- ``short_date``/``short_moment``: "02/12/2026", "02/12/2026 10.15", only in the narrow
  columns of a table.
- ``sheet_time``: "10:15", only in CSV cells, beside ``short_date``: what spreadsheet
  programs read as a time ("10.15" reads as a number with Indonesian regional settings).

Callers pass a local time (already in the office's zone) or a date.
"""

from __future__ import annotations

from datetime import date, datetime, time

from bot.render.calendar_words import MONTHS, WEEKDAYS, WEEKDAYS_SHORT, ZONES, words
from bot.render.numbers import in_words, ordinal

AT = {"id": " pukul ", "en": ", "}  # between a date and its time in a sentence


def time_of(t: datetime | time, lang: str) -> str:
    """ "10.15" (id), "10:15" (en)."""
    return f"{t:%H}{'.' if lang == 'id' else ':'}{t:%M}"


def date_of(d: date, lang: str) -> str:
    """ "2 Desember 2026"."""
    return f"{d.day} {month_of(d, lang)}"


def weekday(d: date, lang: str) -> str:
    """ "Rabu"."""
    return words(WEEKDAYS, lang)[d.weekday()]


def short_weekday(d: date, lang: str) -> str:
    """ "Rab"."""
    return words(WEEKDAYS_SHORT, lang)[d.weekday()]


def month_of(d: date, lang: str) -> str:
    """ "Desember 2026" (a month's document)."""
    return f"{words(MONTHS, lang)[d.month - 1]} {d.year}"


def day_of(d: date, lang: str) -> str:
    """ "Rabu, 2 Desember 2026"."""
    return f"{weekday(d, lang)}, {date_of(d, lang)}"


def _zone_by_babel(t: datetime) -> str:
    from babel.dates import format_datetime

    return format_datetime(t, "z", tzinfo=t.tzinfo, locale="id")


def zone_name(t: datetime) -> str:
    """The office zone's Indonesian name at ``t`` ("WIB"), else Babel's ("UTC", "+0800")."""
    name = ZONES.get(getattr(t.tzinfo, "key", ""))
    return name if name is not None else _zone_by_babel(t)


def moment(t: datetime, lang: str) -> str:
    """ "2 Desember 2026 pukul 10.15 WIB" (id), "2 December 2026, 10:15 WIB" (en)."""
    return f"{date_of(t, lang)}{AT.get(lang, AT['en'])}{time_of(t, lang)} {zone_name(t)}"


def short_date(d: date) -> str:
    """ "02/12/2026": a table's narrow date column (and CSV, as spreadsheets read it)."""
    return f"{d:%d/%m/%Y}"


def short_moment(t: datetime, lang: str) -> str:
    """ "02/12/2026 10.15": a moment in a table's narrow column."""
    return f"{short_date(t)} {time_of(t, lang)}"


def sheet_time(t: datetime | time) -> str:
    """ "10:15": a CSV time cell, as spreadsheet programs read a time."""
    return f"{t:%H:%M}"


def day_in_words(d: date, lang: str) -> str:
    """ "Rabu, tanggal dua Desember tahun dua ribu dua puluh enam" (a Berita Acara's opening)."""
    month = words(MONTHS, lang)[d.month - 1]
    if lang == "id":
        return f"{weekday(d, lang)}, tanggal {in_words(d.day, lang)} {month} tahun " + in_words(
            d.year, lang
        )
    return f"{weekday(d, lang)}, the {ordinal(d.day, lang)} day of {month} in the year " + (
        in_words(d.year, lang)
    )
