"""Seconds from now to HH:MM in ZONE on the last day of this month (or the next, if past).

With --check: exit 1 unless the clock reads that day and hour now (libfaketime worked).
"""

from __future__ import annotations

import argparse
import calendar
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def month_end(now: datetime, hh: int, mm: int, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    year, month = local.year, local.month
    while True:
        last = calendar.monthrange(year, month)[1]
        target = datetime(year, month, last, hh, mm, tzinfo=tz)
        if target > local:
            return target
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true")
    p.add_argument("at")
    p.add_argument("zone")
    a = p.parse_args()
    hh, mm = (int(x) for x in a.at.split(":"))
    tz = ZoneInfo(a.zone)
    now = datetime.now(UTC)
    if a.check:
        local = now.astimezone(tz)
        last = calendar.monthrange(local.year, local.month)[1]
        ok = local.day == last and abs(
            local - local.replace(hour=hh, minute=mm, second=0, microsecond=0)
        ) < timedelta(minutes=5)
        print(f"faked clock: {local.isoformat(timespec='seconds')}")
        return 0 if ok else 1
    print(int((month_end(now, hh, mm, tz) - now).total_seconds()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
