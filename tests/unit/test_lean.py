"""Start-up and memory (issue 20): what only some commands need is loaded when used."""

from __future__ import annotations

import json
import subprocess
import sys

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
    "countries": sorted(m for m in sys.modules if m.startswith("holidays.countries.")),
}))
"""


def test_the_national_holidays_load_one_countrys_tables_not_all_250() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(out.stdout)
    assert seen["independence_day_off"] and seen["the_day_after_on"]
    assert seen["countries"] == ["holidays.countries.indonesia"]


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
