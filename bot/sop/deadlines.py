"""The SOP's clock: reminders and escalation while people keep the SOP waiting.

Computed from stored times (``incidents.awaiting_since``, ``created_at``, the vendor
calls), so nothing is lost in a restart; every notice is recorded in ``notices`` and
fires once. Past ``[sla] decision_minutes`` the ADB chats get a reminder that replies
to the prompt, again every ``remind_every_minutes``; past ``escalate_decision_minutes``
the JF ADB group is told; an incident still open past ``total_minutes`` goes to the
Kabid group with its timeline; after a vendor call the JF ADB group is asked every
``vendor_follow_up_hours`` until "Sudah diperbaiki". The decision stops the decision
clocks, closing stops the rest. With ``pause_outside_office_hours`` only office time
counts and nothing is sent outside office hours. Each notice is a new message (an
edit notifies no one) carrying the incident's #K tags.

A notice never fires early because the wall clock was set forward. Each incident is
anchored when the clock first sees it: the wall time and monotonic seconds of the
look before (if the incident's ``created_at`` is not after that look's time carried
on by monotonic seconds) or of this one. Its "now" is the earlier of the wall clock and
that anchor plus the monotonic seconds since, so a deadline computed from the stored
instants has passed by both. Issue 19: with the clock set 2 h ahead and corrected, the
JF ADB and the Kabid were told a 1-minute-old incident was late, the notices were
recorded as sent, and the real ones never came. A clock set back delays notices by
the step (late, never early). What the bot cannot see: a step while it was down, or
before its first look after a start, is taken for time that passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from bot.delivery.queue import URGENT, MessageQueue
from bot.domain import model, timing
from bot.domain.calendar import OfficeCalendar
from bot.domain.clock import Clock, Ticks, ticks_for
from bot.domain.events import EventKind
from bot.domain.model import Role, State
from bot.domain.purposes import Purpose
from bot.render.views import Views
from bot.settings.office import Sla
from bot.storage import Database, Incident, Tx

log = logging.getLogger(__name__)
IDLE_S = 30.0  # the longest nap between two looks (a new incident wakes nothing)


class Deadlines:
    """Looks at the stored times and sends what is due; ``run`` does it until stopped."""

    def __init__(
        self,
        db: Database,
        queue: MessageQueue,
        chats: dict[Role, int],
        sla: Sla,
        calendar: OfficeCalendar,
        clock: Clock,
        ticks: Ticks | None = None,
    ) -> None:
        """``ticks``: monotonic seconds (default: the ones that go with ``clock``)."""
        self.db = db
        self.queue = queue
        self.views: Views = queue.views
        self.chats = chats
        self.sla = sla
        self.calendar = calendar
        self.clock = clock
        self.ticks = ticks or ticks_for(clock)
        self._last: tuple[datetime, float] | None = None  # the previous look: wall, ticks
        self._anchors: dict[int, tuple[datetime, float]] = {}  # incident -> wall, ticks
        # Unset in [sla]: the SOP's own standard for the decision (step 7).
        self.decision_minutes = (
            sla.decision_minutes
            if sla.decision_minutes is not None
            else timing.standard_minutes(model.DECIDE)
        )
        self.total_minutes = timing.total_standard(sla.total_minutes)[1]
        # A new incident does not wake the clock: look often enough that no notice is late
        # by more than a quarter of the shortest interval (tests set seconds, not minutes).
        shortest = (
            min(
                self.decision_minutes,
                sla.remind_every_minutes,
                sla.escalate_decision_minutes,
                self.total_minutes,
            )
            * 60
        )
        self.idle_s = min(IDLE_S, shortest / 4)

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop``; a failed tick is logged and tried again later."""
        while not stop.is_set():
            wait = self.idle_s
            try:
                nxt = await self.tick()
                if nxt is not None:
                    wait = min(wait, max(0.05, (nxt - self.clock()).total_seconds()))
            except Exception:  # keep the clock alive; what is due is due again next time
                log.exception("the SOP clock failed; trying again in %.0f s", wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    async def tick(self) -> datetime | None:
        """Send every notice due now; returns when the next one falls due (None: none),
        on the wall clock."""
        now, ticks = self.clock(), self.ticks()
        waits: list[timedelta] = []
        async with self.db.write() as tx:
            unclosed = await tx.incidents.unclosed()
            for inc in unclosed:
                its_now = self._now_of(inc, now, ticks)
                waits += [due - its_now for due in await self._incident(tx, inc, its_now)]
        self._last = (now, ticks)
        for gone in self._anchors.keys() - {inc.id for inc in unclosed}:
            del self._anchors[gone]
        self.queue.wake()
        return now + min(waits) if waits else None

    def _now_of(self, inc: Incident, now: datetime, ticks: float) -> datetime:
        """The incident's "now": the wall clock, unless it ran ahead of the monotonic
        seconds since the incident was anchored (see the module's docstring)."""
        anchor = self._anchors.get(inc.id)
        if anchor is None:
            anchor = (now, ticks)
            if self._last is not None:
                before = self._last[0] + timedelta(seconds=ticks - self._last[1])
                if inc.created_at <= before:
                    anchor = self._last
            self._anchors[inc.id] = anchor
        return min(now, anchor[0] + timedelta(seconds=ticks - anchor[1]))

    def _due(self, start: datetime, minutes: float) -> datetime:
        return self.calendar.after(start, timedelta(minutes=minutes))

    async def _incident(self, tx: Tx, inc: Incident, now: datetime) -> list[datetime]:
        quiet = not self.calendar.is_office_time(now)  # nobody is paged at night
        sla, nexts = self.sla, []
        if inc.state == State.AWAITING_DECISION and inc.awaiting_since is not None:
            first = self._due(inc.awaiting_since, self.decision_minutes)
            if now >= first:
                # Only the reminder due now: after a long stop, not every one missed.
                k = 1 + int(
                    self.calendar.office_time(first, now).total_seconds()
                    // (sla.remind_every_minutes * 60)
                )
                if not quiet and await tx.incidents.notice(inc.id, "remind", k):
                    await self._remind(tx, inc, now)
                nexts.append(self._due(first, k * sla.remind_every_minutes))
            else:
                nexts.append(first)
            escalate = self._due(inc.awaiting_since, sla.escalate_decision_minutes)
            if now < escalate:
                nexts.append(escalate)
            elif not quiet and await tx.incidents.notice(inc.id, "escalate", 0):
                await self._tell(
                    tx, inc, Role.JF_ADB, EventKind.ESCALATE, now, since=inc.awaiting_since
                )
        overdue = self._due(inc.created_at, self.total_minutes)
        if now < overdue:
            nexts.append(overdue)
        elif not quiet and await tx.incidents.notice(inc.id, "overdue", 0):
            await self._tell(
                tx, inc, Role.KABID, EventKind.OVERDUE, now, since=inc.created_at, timeline=True
            )
        if inc.state == State.VENDOR:
            calls = await tx.incidents.vendor_calls(inc.id)
            if calls:
                last = calls[-1]
                every = sla.vendor_follow_up_hours * 60
                k = int(
                    self.calendar.office_time(last.called_at, now).total_seconds() // (every * 60)
                )
                if (
                    k >= 1
                    and not quiet
                    and await tx.incidents.notice(inc.id, f"vendor:{last.id}", k)
                ):
                    await self._tell(
                        tx,
                        inc,
                        Role.JF_ADB,
                        EventKind.FOLLOW_UP,
                        now,
                        since=last.called_at,
                        vendor=last.vendor,
                    )
                nexts.append(self._due(last.called_at, (k + 1) * every))
        return nexts

    async def _remind(self, tx: Tx, inc: Incident, now: datetime) -> None:
        """A reminder in each ADB chat, replying to the prompt there."""
        complaints = await tx.incidents.complaints(inc.id)
        assert inc.awaiting_since is not None
        waited = self.calendar.office_time(inc.awaiting_since, now).total_seconds()
        text = self.views.html(
            "sop_clock",
            key="remind",
            inc=self.views.incident(inc),
            group=self.views.group(complaints, details=0),
            seconds=waited,
            since=inc.awaiting_since,
        )
        await self.queue.to_adbs_under_prompt(tx, inc.id, inc.round, text, Purpose.REMINDER)
        for c in complaints:
            await tx.complaints.event(
                c.id, EventKind.REMINDER, step=model.DECIDE, waited=round(waited)
            )

    async def _tell(
        self,
        tx: Tx,
        inc: Incident,
        role: Role,
        key: EventKind,
        now: datetime,
        *,
        since: datetime,
        timeline: bool = False,
        vendor: str | None = None,
    ) -> None:
        complaints = await tx.incidents.complaints(inc.id)
        if not complaints:
            return
        events = await tx.complaints.timeline(complaints[0].id) if timeline else []
        waited = self.calendar.office_time(since, now).total_seconds()
        text = self.views.html(
            "sop_clock",
            key=key,
            inc=self.views.incident(inc),
            group=self.views.group(complaints, details=5),
            seconds=waited,
            since=since,
            events=events,
            vendor=vendor,
        )
        await self.queue.send(
            tx,
            self.chats[role],
            text,
            incident_id=inc.id,
            complaint_id=complaints[0].id,
            purpose=Purpose(key),
            priority=URGENT,
        )
        for c in complaints:
            await tx.complaints.event(c.id, key, waited=round(waited))
