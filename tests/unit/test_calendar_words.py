"""The calendar's words are Babel's (issue 20 copied them to keep Babel's tables out of
the bot), and every date the bot writes reads as Babel would write it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_datetime, get_day_names, get_month_names

from bot.render import calendar_words as cw
from bot.render import dates

LANGS = ("id", "en")


def babels_table() -> dict[str, object]:
    """The snapshot as Babel words it today (printed on a mismatch, to paste)."""
    by_weekday = range(7)  # Babel's day keys are date.weekday(): Monday is 0
    return {
        "MONTHS": {lang: tuple(get_month_names("wide", locale=lang).values()) for lang in LANGS},
        "MONTHS_SHORT": {
            lang: tuple(get_month_names("abbreviated", locale=lang).values()) for lang in LANGS
        },
        "WEEKDAYS": {
            lang: tuple(get_day_names("wide", locale=lang)[d] for d in by_weekday) for lang in LANGS
        },
        "WEEKDAYS_SHORT": {
            lang: tuple(get_day_names("abbreviated", locale=lang)[d] for d in by_weekday)
            for lang in LANGS
        },
        "ZONES": {
            zone: format_datetime(datetime(2026, 1, 1, tzinfo=ZoneInfo(zone)), "z", locale="id")
            for zone in cw.ZONES
        },
    }


def test_the_snapshot_is_babels_own() -> None:
    expected = babels_table()
    ours = {name: getattr(cw, name) for name in expected}
    assert ours == expected, "paste into bot/render/calendar_words.py:\n" + repr(expected)


@pytest.mark.parametrize("lang", LANGS)
def test_every_day_of_two_years_is_written_as_babel_writes_it(lang: str) -> None:
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):  # 2027 is not a leap year, 2026-2027 cross a year end
        assert dates.date_of(day, lang) == format_date(day, "d MMMM y", locale=lang)
        assert dates.month_of(day, lang) == format_date(day, "MMMM y", locale=lang)
        assert dates.weekday(day, lang) == format_date(day, "EEEE", locale=lang)
        assert dates.short_weekday(day, lang) == format_date(day, "EEE", locale=lang)
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("zone", "lang", "pattern"),
    [
        ("Asia/Jakarta", "id", "d MMMM y 'pukul' HH.mm"),
        ("Asia/Makassar", "id", "d MMMM y 'pukul' HH.mm"),
        ("Asia/Jayapura", "en", "d MMMM y', 'HH:mm"),
        ("UTC", "id", "d MMMM y 'pukul' HH.mm"),  # a zone not in the snapshot: Babel's word
        ("Asia/Singapore", "en", "d MMMM y', 'HH:mm"),
    ],
)
def test_a_moment_reads_as_babel_writes_it(zone: str, lang: str, pattern: str) -> None:
    tz = ZoneInfo(zone)
    for t in (datetime(2026, 12, 31, 23, 59, tzinfo=tz), datetime(2027, 3, 1, 7, 5, tzinfo=tz)):
        zone_word = format_datetime(t, "z", tzinfo=tz, locale="id")
        assert (
            dates.moment(t, lang)
            == f"{format_datetime(t, pattern, tzinfo=tz, locale=lang)} {zone_word}"
        )


def test_writing_the_offices_dates_loads_no_babel() -> None:
    probe = (
        "import json, sys\n"
        "from datetime import datetime\n"
        "from zoneinfo import ZoneInfo\n"
        "from bot.render import dates\n"
        "t = datetime(2026, 12, 2, 10, 15, tzinfo=ZoneInfo('Asia/Jakarta'))\n"
        "print(json.dumps([dates.moment(t, 'id'), dates.day_in_words(t.date(), 'id'),\n"
        "                  sorted(m for m in sys.modules if m.split('.')[0] == 'babel')]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    moment, in_words, babel = json.loads(out.stdout)
    assert moment == "2 Desember 2026 pukul 10.15 WIB"
    assert in_words.startswith("Rabu, tanggal dua Desember tahun dua ribu dua puluh enam")
    assert babel == []
