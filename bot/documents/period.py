"""Periods (a day range, a month) in the office's time zone, and months read from words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.render.calendar_words import MONTHS, MONTHS_SHORT, words
from bot.render.dates import date_of, month_of


class PeriodError(ValueError):
    """A period that cannot be read; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Period:
    """The days ``first`` to ``last`` (inclusive) in ``tz``; ``month`` when it is one month."""

    first: date
    last: date
    tz: tzinfo
    month: bool = False

    @property
    def start(self) -> datetime:
        """The first moment, in UTC (storage keeps ISO text in UTC and compares it as text)."""
        return datetime.combine(self.first, time(), self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The moment after the last day (half-open), in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.tz).astimezone(UTC)

    @property
    def key(self) -> str:
        """``YYYY-MM`` for a month, ``YYYYMMDD-YYYYMMDD`` otherwise (file names, bookkeeping)."""
        if self.month:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"

    def words(self, lang: str) -> str:
        """As a reader says it: "November 2026", or "2 November 2026 - 6 November 2026"."""
        if self.month:
            return month_of(self.first, lang)
        if self.first == self.last:
            return date_of(self.first, lang)
        return f"{date_of(self.first, lang)} - {date_of(self.last, lang)}"


def month_period(year: int, month: int, tz: tzinfo) -> Period:
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return Period(first, nxt - timedelta(days=1), tz, month=True)


def previous_month(today: date, tz: tzinfo) -> Period:
    last = today.replace(day=1) - timedelta(days=1)
    return month_period(last.year, last.month, tz)


FIRST_YEAR, LAST_YEAR = 2000, 2100  # 9999-12 would end in the year 10000: no date holds it


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` or ``dd/mm/yyyy`` (as Indonesian offices write it)."""
    text = text.strip()
    try:
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
            d = date(int(m[3]), int(m[2]), int(m[1]))
        else:
            d = date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{text!r} is not a date; expected YYYY-MM-DD or dd/mm/yyyy") from None
    if not FIRST_YEAR <= d.year <= LAST_YEAR:
        raise PeriodError(f"{text!r} is not a date the agenda can hold ({FIRST_YEAR}-{LAST_YEAR})")
    return d


def parse_month(text: str, tz: tzinfo, lang: str = "id") -> Period:
    """``YYYY-MM``, ``MM/YYYY`` or a month's name and year in ``lang`` ("November 2026")."""
    t = " ".join(text.strip().lower().split())
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", t) or re.fullmatch(r"(\d{1,2})/(\d{4})", t)
    if m is not None:
        year, month = (int(m[1]), int(m[2])) if len(m[1]) == 4 else (int(m[2]), int(m[1]))
    else:
        names = {**_month_names("en"), **_month_names(lang)}
        n = re.fullmatch(r"([^\W\d]+)\s+(\d{4})", t)
        if n is None or n[1] not in names:
            raise PeriodError(f"{text!r} is not a month; expected YYYY-MM, e.g. 2026-11")
        year, month = int(n[2]), names[n[1]]
    if not 1 <= month <= 12 or not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            f"{text!r} is not a month the agenda can hold; expected YYYY-MM between "
            f"{FIRST_YEAR} and {LAST_YEAR}, e.g. 2026-11"
        )
    return month_period(year, month, tz)


def _month_names(lang: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for table in (MONTHS, MONTHS_SHORT):
        for no, name in enumerate(words(table, lang), start=1):
            out[name.lower().rstrip(".")] = no
    return out
