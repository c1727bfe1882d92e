"""Start-up and memory (issue 20): what only some commands need is loaded when used."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

LOADED = """
import json, sys
from datetime import date
from bot.domain.calendar import OfficeCalendar
from bot.settings.office import Office
from zoneinfo import ZoneInfo
cal = OfficeCalendar(Office(), ZoneInfo("Asia/Jakarta"))
print(json.dumps({
    "independence_day_off": not cal.is_working_day(date(2026, 8, 17)),
    "the_day_after_on": cal.is_working_day(date(2026, 8, 18)),
    "holidays_modules": sorted(m for m in sys.modules if m.split(".")[0] == "holidays"),
}))
"""


def test_the_national_holidays_are_asked_of_a_child_not_loaded_in_the_bot() -> None:
    """The holidays package's tables (7.6 MB) never enter the asking process."""
    out = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(out.stdout)
    assert seen["independence_day_off"] and seen["the_day_after_on"]
    assert seen["holidays_modules"] == []


def test_the_child_loads_one_countrys_tables_not_all_250() -> None:
    probe = (
        "import sys\n"
        "from bot.settings.holidays import _country\n"
        "_country('ID')\n"
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "['holidays.countries.indonesia']"


def test_an_unknown_country_is_told_with_the_setting_to_fix() -> None:
    from bot.settings.holidays import NationalHolidays, UnknownCountry

    with pytest.raises(UnknownCountry, match="national_holidays = 'QQ'"):
        date(2026, 1, 1) in NationalHolidays("QQ")  # noqa: B015 - the lookup is the test


def test_the_flood_guard_forgets_quiet_users_past_its_bound() -> None:
    """A year of distinct reporters does not stay in memory: whoever was quiet for a
    minute is dropped once more than ``FORGET_AT`` are remembered."""
    from handlers.guard import FORGET_AT, WINDOW_S, Counts

    now = [0.0]
    counts = Counts(lambda: now[0])
    for user_id in range(FORGET_AT):
        assert counts.seen(user_id, limit=5) is None
    now[0] = WINDOW_S + 1
    for user_id in range(FORGET_AT, FORGET_AT + 3):
        counts.seen(user_id, limit=5)
    assert len(counts.users) <= 3
