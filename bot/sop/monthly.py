"""The monthly recap the bot sends the Kabid group by itself, once per month.

On the office's first working day of a month (``[office] working_days``, not a
national holiday nor one of ``days_off``: the SOP clock's office calendar), from
opening time on, last month's Rekapitulasi goes to the Kabid
group. If the bot was down that day it goes on the first later day the bot runs
in that month. The ``monthly_reports`` table makes it once: the month is claimed
before sending and marked sent after, so a restart does not send it again; a
failure, or a crash between the two, sends it once more an hour later (a
duplicate beats a missing report).

A wall clock set wrong must not send a month's recap before the month is over, nor
mark it done (issue 19: set to 2 February 2027, the bot sent an empty January recap
and marked January done, and the real one was lost). So a recap goes out only when:

* the month has ended in the office's zone by the wall clock (``due``);
* no forward step of the wall clock (more than ``STEP_S`` ahead of the monotonic
  seconds between two looks, or stored by the clock watch, ``runtime_status``
  ``clock_step``, so a restart does not forget it) was seen in the last ``HOLD_S``: a
  clock set ahead and corrected within the day sends nothing, a clock that really was
  behind sends a day late (so does a server suspended and resumed: its monotonic
  seconds stood still);
* it is not "long after" the month (more than ``QUIET_DAYS`` after its end) with no
  update stored since the month ended: a clock set ahead while the bot was down looks
  like that; the recap waits until the office uses the bot again.

A deferred recap is logged once and stored (``runtime_status`` ``recap_deferred``) for
``netmaint doctor``. A month whose recap was recorded as sent at a time still in the
future was sent under a clock that ran ahead: it does not count as done, and the real
recap is sent when it is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from bot.documents.period import Period, previous_month
from bot.documents.service import Document, Documents
from bot.domain.calendar import OfficeCalendar
from bot.domain.clock import Clock, Ticks, ticks_for
from bot.settings.office import Office
from bot.storage import Database
from bot.storage.status import CLOCK_STEP, RECAP_DEFERRED

log = logging.getLogger(__name__)

INTERVAL_S = 300.0  # how often the bot looks whether the recap is due
RETRY_AFTER = timedelta(hours=1)  # a send that failed or was cut short is tried again after
STEP_S = 60.0  # the wall clock ahead of monotonic time by more than this between looks
HOLD_S = 86_400.0  # after such a step, no recap for a day of monotonic time
QUIET_DAYS = 14  # this long after the month with nothing stored since: a clock set ahead
JUMPED, QUIET = "jumped", "quiet"  # why a recap waits (``runtime_status`` detail)
# (chat_id, document, caption) -> the message id Telegram gave it
SendDocument = Callable[[int, Document, str], Awaitable[int | None]]


def first_working_day(year: int, month: int, calendar: OfficeCalendar) -> date:
    d = date(year, month, 1)
    while not calendar.is_working_day(d):
        d += timedelta(days=1)
        if d.month != month:  # no working day at all: the 1st
            return date(year, month, 1)
    return d


def _seconds(value: str) -> float:
    """A stored clock step ("+7200", "-60") in seconds; 0 if it does not read as one."""
    try:
        return float(value)
    except ValueError:
        return 0.0


class MonthlyRecap:
    """Sends last month's recap PDF to ``chat_id`` when it is due."""

    def __init__(
        self,
        documents: Documents,
        db: Database,
        chat_id: int,
        clock: Clock,
        caption: Callable[[Document], str],
        ticks: Ticks | None = None,
    ) -> None:
        """``ticks``: monotonic seconds (default: the ones that go with ``clock``)."""
        self.documents = documents
        self.db = db
        self.chat_id = chat_id
        self.clock = clock
        self.caption = caption
        self.ticks = ticks or ticks_for(clock)
        self._last: tuple[datetime, float] | None = None  # the previous look: wall, ticks
        self._hold_until: float | None = None  # monotonic seconds: no recap before
        self._deferred: tuple[str, str] | None = None  # (month, why) last logged

    @property
    def office(self) -> Office:
        return self.documents.config.office

    def due(self, now: datetime) -> Period | None:
        """The month whose recap is due at ``now``, if any."""
        local = now.astimezone(self.documents.tz)
        today = local.date()
        calendar = OfficeCalendar(self.office, self.documents.tz)
        first = first_working_day(today.year, today.month, calendar)
        if today < first or (today == first and local.time() < self.office.opening):
            return None
        period = previous_month(today, self.documents.tz)
        return period if now >= period.end else None

    def _stepped(self, now: datetime, ticks: float) -> float | None:
        """Seconds the wall clock was set ahead since the last look (None: not)."""
        last, self._last = self._last, (now, ticks)
        if last is None:
            return None
        ahead = (now - last[0]).total_seconds() - (ticks - last[1])
        return ahead if ahead > STEP_S else None

    async def _doubt(self, period: Period, now: datetime, ticks: float) -> str | None:
        """Why the recap of ``period`` must wait although the wall clock says it is due."""
        if self._hold_until is not None and ticks < self._hold_until:
            return JUMPED
        step = await self.db.reads.status.get(CLOCK_STEP)
        if (
            step is not None
            and _seconds(step.value) > STEP_S
            and timedelta() <= now - step.since < timedelta(seconds=HOLD_S)
        ):
            return JUMPED
        if now - period.end > timedelta(days=QUIET_DAYS):
            last = await self.db.reads.inbox.last_received()
            if last is None or last < period.end:
                return QUIET
        return None

    async def _defer(self, period: Period, why: str) -> None:
        """Log (once per month and reason) and store for doctor that the recap waits."""
        if self._deferred == (period.key, why):
            return
        self._deferred = (period.key, why)
        log.warning(
            "the monthly recap for %s waits: %s. It is sent once the clock can be trusted;"
            " keep the clock in sync (timedatectl set-ntp true)",
            period.key,
            "the server's clock jumped forward lately"
            if why == JUMPED
            else f"the month ended over {QUIET_DAYS} days ago by the clock, and nothing was"
            " stored since",
        )
        async with self.db.write() as tx:
            await tx.status.put(RECAP_DEFERRED, period.key, why)

    async def tick(self, send: SendDocument) -> bool:
        """Send the recap if it is due and not sent yet; True if it was sent now."""
        now, ticks = self.clock(), self.ticks()
        if (ahead := self._stepped(now, ticks)) is not None:
            self._hold_until = ticks + HOLD_S
            log.warning("the clock jumped %.0f s forward: no monthly recap for a day", ahead)
        period = self.due(now)
        if period is None:
            return False
        done = await self.db.reads.documents.monthly_send(period.key)
        if done is not None and done.sent_at is not None and done.sent_at > now:
            log.warning(
                "the monthly recap for %s was recorded as sent at %s, later than now: it was"
                " sent under a clock set ahead and does not count",
                period.key,
                done.sent_at.isoformat(),
            )
        elif done is not None and (done.sent_at is not None or now - done.claimed_at < RETRY_AFTER):
            return False  # sent; or tried lately (it may have arrived: a failure after
            # Telegram took it must not become a document every few minutes)
        oldest = await self.db.reads.documents.first_received()
        if oldest is None or oldest >= period.end:
            return False  # the bot was not in use that month: nothing to account for
        if (why := await self._doubt(period, now, ticks)) is not None:
            await self._defer(period, why)
            return False
        async with self.db.write() as tx:
            if not await tx.documents.claim_monthly(period.key, self.chat_id):
                return False
        try:
            doc = await self.documents.rekap_document(period, "pdf", now)
            message_id = await send(self.chat_id, doc, self.caption(doc))
        except Exception as exc:
            log.exception("the monthly recap for %s could not be sent", period.key)
            async with self.db.write() as tx:
                await tx.documents.failed_monthly(period.key, f"{type(exc).__name__}: {exc}")
            return False
        async with self.db.write() as tx:
            await tx.documents.sent_monthly(period.key, message_id)
            await tx.status.put(RECAP_DEFERRED, "", None)  # held by this process or another
        self._deferred = None
        log.info("monthly recap for %s sent to chat %s", period.key, self.chat_id)
        return True

    async def run(
        self, send: SendDocument, stop: asyncio.Event, interval_s: float = INTERVAL_S
    ) -> None:
        """Look every ``interval_s`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.tick(send)
            except Exception:  # the bot keeps running; the next look tries again
                log.exception("monthly recap check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)


FINISH_S = 3.0  # at shutdown, a send under way may still record that it was sent


async def finish(task: asyncio.Task[None]) -> None:
    """Stop the loop: a send under way gets ``FINISH_S`` to be marked sent, then is cut."""
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(task, FINISH_S)
