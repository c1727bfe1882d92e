"""The monthly recap the bot sends the Kabid group by itself, once per month.

On the office's first working day of a month (``[office] working_days``, not a
national holiday nor one of ``days_off``: the SOP clock's office calendar), from
opening time on, last month's Rekapitulasi goes to the Kabid
group. If the bot was down that day it goes on the first later day the bot runs
in that month. The ``monthly_reports`` table makes it once: the month is claimed
before sending and marked sent after, so a restart does not send it again; a
failure, or a crash between the two, sends it once more an hour later (a
duplicate beats a missing report).
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
from bot.domain.clock import Clock
from bot.settings.office import Office
from bot.storage import Database

log = logging.getLogger(__name__)

INTERVAL_S = 300.0  # how often the bot looks whether the recap is due
RETRY_AFTER = timedelta(hours=1)  # a send that failed or was cut short is tried again after
# (chat_id, document, caption) -> the message id Telegram gave it
SendDocument = Callable[[int, Document, str], Awaitable[int | None]]


def first_working_day(year: int, month: int, calendar: OfficeCalendar) -> date:
    d = date(year, month, 1)
    while not calendar.is_working_day(d):
        d += timedelta(days=1)
        if d.month != month:  # no working day at all: the 1st
            return date(year, month, 1)
    return d


class MonthlyRecap:
    """Sends last month's recap PDF to ``chat_id`` when it is due."""

    def __init__(
        self,
        documents: Documents,
        db: Database,
        chat_id: int,
        clock: Clock,
        caption: Callable[[Document], str],
    ) -> None:
        self.documents = documents
        self.db = db
        self.chat_id = chat_id
        self.clock = clock
        self.caption = caption

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
        return previous_month(today, self.documents.tz)

    async def tick(self, send: SendDocument) -> bool:
        """Send the recap if it is due and not sent yet; True if it was sent now."""
        now = self.clock()
        period = self.due(now)
        if period is None:
            return False
        done = await self.db.reads.documents.monthly_send(period.key)
        if done is not None and (done.sent_at is not None or now - done.claimed_at < RETRY_AFTER):
            return False  # sent; or tried lately (it may have arrived: a failure after
            # Telegram took it must not become a document every few minutes)
        oldest = await self.db.reads.documents.first_received()
        if oldest is None or oldest >= period.end:
            return False  # the bot was not in use that month: nothing to account for
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
