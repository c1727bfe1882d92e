"""Clocks: time is read only through one of these, so tests inject their own.

Two kinds of time: the wall clock (``Clock``: aware UTC, what is stored and shown) and
monotonic seconds (``Ticks``: only ever go forward, what pacing and "has this much time
really passed" are measured in). A wall clock can be stepped (by hand, by NTP after a
boot with a wrong hardware clock); monotonic seconds cannot.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
Ticks = Callable[[], float]  # seconds that only go forward (time.monotonic)


def utc_now() -> datetime:
    """The production clock: aware UTC time."""
    return datetime.now(UTC)


def ticks_for(clock: Clock) -> Ticks:
    """The monotonic seconds that go with ``clock``.

    The real clock goes with ``time.monotonic``. An injected clock brings its own
    (``ticks``, as the tests' ``FakeClock`` does: it moves with ``advance`` but not with
    a ``step``); one without them is its own passage of time, so a test that only moves
    the wall clock sees the time it moved pass.
    """
    if clock is utc_now:
        return time.monotonic
    own = getattr(clock, "ticks", None)
    if callable(own):
        return own  # type: ignore[no-any-return]
    return lambda: clock().timestamp()
