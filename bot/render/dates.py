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
from functools import lru_cache

from babel.dates import format_date, format_datetime

from bot.render.numbers import in_words, ordinal

TIME = {"id": "HH.mm", "en": "HH:mm"}
DATE = "d MMMM y"
AT = {"id": "{date} 'pukul' {time}", "en": "{date}', '{time}"}


def _time_pattern(lang: str) -> str:
    return TIME.get(lang, TIME["en"])


def time_of(t: datetime | time, lang: str) -> str:
    """ "10.15" (id), "10:15" (en)."""
    return f"{t:%H}{'.' if lang == 'id' else ':'}{t:%M}"


def date_of(d: date, lang: str) -> str:
    """ "2 Desember 2026"."""
    return format_date(d, DATE, locale=lang)


@lru_cache(maxsize=512)  # bounded: one entry per day shown
def weekday(d: date, lang: str) -> str:
    """ "Rabu"."""
    return format_date(d, "EEEE", locale=lang)


@lru_cache(maxsize=512)  # bounded: one entry per day shown
def short_weekday(d: date, lang: str) -> str:
    """ "Rab"."""
    return format_date(d, "EEE", locale=lang)


def month_of(d: date, lang: str) -> str:
    """ "Desember 2026" (a month's document)."""
    return format_date(d, "MMMM y", locale=lang)


def day_of(d: date, lang: str) -> str:
    """ "Rabu, 2 Desember 2026"."""
    return f"{weekday(d, lang)}, {date_of(d, lang)}"


def zone_name(t: datetime) -> str:
    """The office zone's Indonesian name at ``t`` ("WIB"), else its offset."""
    return format_datetime(t, "z", tzinfo=t.tzinfo, locale="id")


def moment(t: datetime, lang: str) -> str:
    """ "2 Desember 2026 pukul 10.15 WIB" (id), "2 December 2026, 10:15 WIB" (en)."""
    pattern = AT.get(lang, AT["en"]).format(date=DATE, time=_time_pattern(lang))
    return f"{format_datetime(t, pattern, tzinfo=t.tzinfo, locale=lang)} {zone_name(t)}"


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
    month = format_date(d, "MMMM", locale=lang)
    if lang == "id":
        return f"{weekday(d, lang)}, tanggal {in_words(d.day, lang)} {month} tahun " + in_words(
            d.year, lang
        )
    return f"{weekday(d, lang)}, the {ordinal(d.day, lang)} day of {month} in the year " + (
        in_words(d.year, lang)
    )
