"""The one fake clock: time moves only when the test moves it.

Inject it wherever production code takes a ``bot.domain.clock.Clock``; set
``clock.now`` or call ``clock.advance(minutes=5)``: time passes. ``clock.step(hours=2)``
sets the wall clock forward (or back) without time passing, as an operator or NTP
does: ``clock.ticks()``, its monotonic seconds (``bot.domain.clock.ticks_for``), do not
move.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MONDAY_0800_WIB = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a working day, office hours


class FakeClock:
    """A ``Clock`` (called for aware UTC time) that stands still until told."""

    def __init__(self, now: datetime = MONDAY_0800_WIB) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock gives aware time")
        self.now = now
        self._stepped = 0.0  # seconds the wall clock was stepped, not lived

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        """Move on by ``timedelta(**kw)``; returns the new time."""
        self.now += timedelta(**kw)
        return self.now

    def step(self, **kw: float) -> datetime:
        """Set the wall clock by ``timedelta(**kw)`` (negative: back) with no time passing."""
        by = timedelta(**kw)
        self.now += by
        self._stepped += by.total_seconds()
        return self.now

    def ticks(self) -> float:
        """Monotonic seconds: how much time the test let pass (not the steps)."""
        return self.now.timestamp() - self._stepped
