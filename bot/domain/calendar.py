"""The office calendar: which minutes count toward the SOP's standard times.

With ``[sla] pause_outside_office_hours`` the clocks count office minutes only
(working days, office hours, not national holidays nor the office's own days
off), so a complaint filed on Friday at 15:55 is not "late" on Saturday and
nobody is paged at night. Pure: times in, times out.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from bot.settings.office import Office

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 366 * 2  # how far a deadline may be searched for (no working day at all: give up)


class OfficeCalendar:
    """Office minutes between times, and the time N office minutes after another."""

    def __init__(self, office: Office, tz: ZoneInfo, *, paused: bool = True) -> None:
        self.office = office
        self.tz = ZoneInfo(office.timezone) if office.timezone else tz
        self.paused = paused  # False: every minute counts (pause_outside_office_hours off)

    @cached_property
    def _national(self) -> Container[date] | None:
        """The national holidays, worked out by a child process on first use (the
        package's tables would cost the bot 7.6 MB: ``bot.settings.holidays``)."""
        code = self.office.national_holidays
        if not code:
            return None
        from bot.settings.holidays import for_country

        return for_country(code)

    def is_working_day(self, day: date) -> bool:
        if WEEKDAYS[day.weekday()] not in self.office.working_days:
            return False
        if day in self.office.days_off:
            return False
        return not (self._national is not None and day in self._national)

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing of ``day`` (aware, UTC), or None on a day off."""
        if not self.is_working_day(day):
            return None
        opening = datetime.combine(day, self.office.opening, self.tz).astimezone(ZoneInfo("UTC"))
        closing = datetime.combine(day, self.office.closing, self.tz).astimezone(ZoneInfo("UTC"))
        return opening, closing

    def office_time(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) counts (all of it when the clock is not paused)."""
        if end <= start:
            return timedelta(0)
        if not self.paused:
            return end - start
        total = timedelta(0)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            window = self._window(day)
            if window is not None:
                lo, hi = max(start, window[0]), min(end, window[1])
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def after(self, start: datetime, span: timedelta) -> datetime:
        """The moment ``span`` of office time has passed since ``start``."""
        if not self.paused:
            return start + span
        left = span
        day = start.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            window = self._window(day)
            if window is not None:
                lo, hi = max(start, window[0]), window[1]
                if hi > lo:
                    if hi - lo >= left:
                        return lo + left
                    left -= hi - lo
            day += timedelta(days=1)
        return start + span  # no working day in two years: count every minute

    def is_office_time(self, at: datetime) -> bool:
        """Whether ``at`` is inside office hours on a working day (or the clock never pauses)."""
        if not self.paused:
            return True
        window = self._window(at.astimezone(self.tz).date())
        return window is not None and window[0] <= at < window[1]
