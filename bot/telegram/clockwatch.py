"""Noticing a step of the wall clock, so the operator hears of it.

Pacing and the flood guard run on monotonic seconds and do not care; the SOP's
stored times do: an incident recorded at a wrong hour stays wrong. Wall time
and monotonic time advance together (NTP slews by well under a millisecond a
second); when they part by more than ``STEP_S`` between two looks, the wall
clock was stepped: set back or forward by hand, or corrected by NTP after a
boot with a wrong hardware clock. Each step is logged and stored
(``runtime_status``, key ``clock_step``) for ``netmaint doctor``. A step while
the bot was down shows as "now" earlier than the last update it stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot.domain.clock import Clock
from bot.storage import Database
from bot.storage.status import CLOCK_STEP

log = logging.getLogger(__name__)
STEP_S = 5.0  # wall and monotonic time parting by more than this is a step
EVERY_S = 5.0  # how often to look
Ticks = Callable[[], float]


class ClockWatch:
    """Compares the wall clock with monotonic seconds between looks."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        ticks: Ticks = time.monotonic,
        *,
        step_s: float = STEP_S,
        every_s: float = EVERY_S,
    ) -> None:
        self.db, self.clock, self.ticks = db, clock, ticks
        self.step_s, self.every_s = step_s, every_s
        self._wall, self._tick = clock(), ticks()

    def look(self) -> float | None:
        """The step in seconds since the last look (+ forward, - back), or None."""
        wall, tick = self.clock(), self.ticks()
        drift = (wall - self._wall).total_seconds() - (tick - self._tick)
        self._wall, self._tick = wall, tick
        return drift if abs(drift) > self.step_s else None

    async def at_start(self) -> float | None:
        """A clock set back while the bot was down: now is before the newest stored update."""
        last = await self.db.reads.inbox.last_received()
        if last is None:
            return None
        behind = (last - self.clock()).total_seconds()
        if behind <= self.step_s:
            return None
        await self.record(-behind, "since the last update stored before this start")
        return -behind

    async def record(self, step: float, when: str = "") -> None:
        """Log the step and store it for ``doctor``."""
        log.warning(
            "the server's clock jumped %s by %.0f s%s; pacing and the flood guard do not"
            " depend on it, but the SOP's times recorded around it may be off: keep the"
            " clock in sync (timedatectl set-ntp true)",
            "forward" if step > 0 else "back",
            abs(step),
            f" ({when})" if when else "",
        )
        async with self.db.write() as tx:
            await tx.status.put(CLOCK_STEP, f"{step:+.0f}", when or None)

    async def run(self, stop: asyncio.Event) -> None:
        """Look every ``every_s`` until ``stop``."""
        try:
            await self.at_start()
        except Exception:  # a failed store must not stop the bot
            log.exception("the clock could not be compared with the stored updates")
        self._wall, self._tick = self.clock(), self.ticks()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every_s)
            step = self.look()
            if step is not None:
                try:
                    await self.record(step)
                except Exception:
                    log.exception("the clock step could not be stored")
