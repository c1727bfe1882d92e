"""Clocks: time is read only through one of these, so tests inject their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The production clock: aware UTC time."""
    return datetime.now(UTC)
