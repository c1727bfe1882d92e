"""SOP step 1: a complaint, which opens an incident or joins one; and a closed one that is
down again.

People (``/lapor``, ``/catat``) and monitoring file through one path (``_file``):
the complaint and its step 1, the incident it joins or opens (a ``Move.JOIN``
transition), the reporter's acknowledgement and the ADB's diagnosis message, in
one transaction; the diagnosis starts after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.delivery.queue import URGENT
from bot.domain import model
from bot.domain.events import EventKind
from bot.domain.model import UNDECIDED, Actor, Command, Move, State
from bot.domain.outcomes import Outcome, Refused
from bot.domain.purposes import Purpose
from bot.sop.part import Part
from bot.sop.transition import Press
from bot.storage import Complaint, Incident, Tx
from bot.storage.monitor import Window

# Who files the complaint of an outage monitoring found (no Telegram user, no chat).
MONITOR_REPORTER = Actor(None, "netmaint (pemantauan)")
MONITOR_CHANNEL = "monitor"


class RateLimited(Exception):
    """The reporter filed ``[limits] complaints_per_user`` complaints within the window."""


@dataclass(frozen=True, slots=True)
class Filed:
    """What one filing did: the complaint, its incident, and whether that is new."""

    cid: int
    inc: Incident
    opened: bool


# "Still down" reopens a complaint closed this recently; later, it is a new /lapor.
STILL_DOWN_WITHIN = timedelta(hours=24)


def still_down_outcome(c: Complaint | None, press: Press, now: datetime) -> Outcome:
    """Whether "still down" applies: the reporter's own complaint, closed as a network
    fault (not /tutup) within ``STILL_DOWN_WITHIN``. Otherwise an old button could
    reopen any complaint of theirs, each a new incident and an urgent prompt."""
    if (
        c is None
        or c.reporter_id != press.actor.id
        or not model.may(press.roles, Command.STILL_DOWN)
    ):
        return Outcome.NOT_FOUND
    if c.state != State.CLOSED or c.dismissed or c.closed_at is None:
        return Outcome.STALE
    return Outcome.OK if now - c.closed_at <= STILL_DOWN_WITHIN else Outcome.STALE


class Filing(Part):
    """Step 1 for people and for monitoring."""

    async def file(
        self,
        *,
        reporter: Actor,
        reporter_chat_id: int | None,
        channel: str,
        site: str | None,
        text: str,
        filed_by: Actor | None = None,
        update_id: int | None = None,
        limited: bool = False,
        site_from: str | None = None,
    ) -> int | None:
        """File a complaint; it joins its site's open incident or opens one (and its
        diagnosis). None if this update already filed one.

        ``limited``: raise ``RateLimited`` when the reporter is over ``[limits]``; checked
        in the filing transaction, so two updates cannot both slip under the limit.
        ``site_from``: how the site was known without asking ("text", "staff", "last"),
        recorded with step 1 and told in the acknowledgement so a wrong guess is seen.
        """
        async with self._write() as tx:
            if (
                limited
                and reporter.id is not None
                and not await self._may_file(tx.complaints, tx.now, reporter.id, update_id)
            ):
                raise RateLimited
            filed = await self._file(
                tx,
                reporter=reporter,
                reporter_chat_id=reporter_chat_id,
                channel=channel,
                site=site,
                text=text,
                filed_by=filed_by,
                update_id=update_id,
                site_from=site_from,
            )
        if filed is None:
            return None
        self._started(filed)
        return filed.cid

    async def file_monitored(
        self, site: str | None, text: str, part: str | None = None
    ) -> int | None:
        """Monitoring found ``site`` down: file the bot's own complaint (reporter
        ``MONITOR_REPORTER``, channel "monitor", nobody to acknowledge), which opens an
        incident marked as found by monitoring, its diagnosis and the ADB's prompt, before
        anyone calls. Returns the incident, or None when there is nothing to do: the outage
        monitoring reported is still open (a flapping link), or the site is in planned
        maintenance, or it is behind a broken shared part that has its incident already
        (``SharedParts``: "tidak terjangkau", paging nobody). ``part``: where monitoring
        located the break, stored on a new incident at once, so the sites behind it
        looked at next join it instead of opening their own. One transaction with the
        site's stored state, so a restart while the site is down never opens a second
        incident.
        """
        key = site or ""
        async with self._write() as tx:
            known = await tx.monitor.site(key)
            if known is not None and known.incident_id is not None:
                prior = await tx.incidents.get(known.incident_id)
                if prior is not None and prior.state not in (State.CLOSED, State.MERGED):
                    return None
            if await tx.monitor.window(key, tx.now) is not None:
                return None
            if await self.diagnoses.shared.broken(tx, site) is not None:
                return None
            filed = await self._file(
                tx,
                reporter=MONITOR_REPORTER,
                reporter_chat_id=None,
                channel=MONITOR_CHANNEL,
                site=site,
                text=text,
            )
            assert filed is not None  # no update id: nothing to deduplicate
            if filed.opened and part is not None:
                await tx.incidents.set_part(filed.inc.id, part)
            await tx.monitor.attach(key, filed.inc.id)
        self._started(filed)
        return filed.inc.id

    async def _file(
        self,
        tx: Tx,
        *,
        reporter: Actor,
        reporter_chat_id: int | None,
        channel: str,
        site: str | None,
        text: str,
        filed_by: Actor | None = None,
        update_id: int | None = None,
        site_from: str | None = None,
    ) -> Filed | None:
        """The one filing path: the complaint, its step 1, its incident, the messages."""
        monitored = channel == MONITOR_CHANNEL
        cid = await tx.complaints.add(
            state=State.DIAGNOSING,
            reporter=reporter,
            reporter_chat_id=reporter_chat_id,
            channel=channel,
            site=site,
            text=text,
            filed_by=filed_by,
            source_update_id=update_id,
        )
        if cid is None:
            return None
        window = timedelta(minutes=self.grouping.window_minutes)
        # A broken shared part on the site's path is the outage, whichever site found it.
        inc = await self.diagnoses.shared.broken(tx, site)
        inc = inc or await tx.incidents.joinable(site, tx.now - window)
        if monitored and inc is not None and inc.state == State.CLOSED:
            inc = None  # declared over, and down again: a new outage
        opened = inc is None
        if inc is None:
            inc = await self._open(tx, site)
            if monitored:
                await tx.monitor.mark_found(inc.id)
        await tx.incidents.link(cid, inc.id)
        who = filed_by or reporter
        await self._record_filing(
            tx,
            cid,
            who,
            channel,
            site,
            text,
            acknowledged=reporter_chat_id is not None,
            site_from=site_from,
        )
        count = await tx.incidents.count(inc.id)  # once: a storm files many at a time
        if not opened:  # a new incident is diagnosing, as a new complaint is: nothing moves
            c = await tx.complaints.get(cid)
            assert c is not None
            await self.transitions.apply(
                tx,
                inc,
                Move.JOIN,
                complaint=c,
                by=who,
                event=EventKind.JOINED,
                incident=inc.id,
                count=count,
                from_incident=None,
            )
        if reporter_chat_id is not None:
            c = await tx.complaints.get(cid)
            assert c is not None
            # Planned maintenance: the complaint is filed all the same, and its
            # reporter is told the work is planned and until when.
            planned = await tx.monitor.window(site or "", tx.now)
            await self._acknowledge(tx, c, inc, opened, count, planned, site_from)
        if opened:
            fresh = await tx.incidents.get(inc.id)  # as monitoring marked it
            assert fresh is not None
            await self.diagnoses.announce(tx, fresh)
        elif inc.state in UNDECIDED:
            await self.diagnoses.refresh(tx, inc.id)
        return Filed(cid, inc, opened)

    def _started(self, filed: Filed) -> None:
        """After the commit: a new incident's diagnosis runs."""
        if filed.opened:
            self.diagnoses.start(filed.inc.id, filed.inc.round)

    @staticmethod
    async def _record_filing(
        tx: Tx,
        cid: int,
        who: Actor,
        channel: str,
        site: str | None,
        text: str,
        *,
        acknowledged: bool,
        site_from: str | None = None,
    ) -> None:
        """SOP step 1 in the complaint's record; it ends when the acknowledgement is
        delivered, or at once when there is nobody to acknowledge."""
        rows = tx.complaints
        known: dict[str, Any] = {"site_from": site_from} if site_from else {}
        await rows.event(
            cid,
            EventKind.FILED,
            actor=who,
            step=model.RECEIVE,
            channel=channel,
            site=site,
            length=len(text),
            **known,
        )
        for step in model.OPENED_ON_FILING:
            await rows.event(cid, EventKind.STEP_START, actor=who, step=step)
        if not acknowledged:
            await rows.event(cid, EventKind.STEP_END, actor=who, step=model.RECEIVE)

    async def _acknowledge(
        self,
        tx: Tx,
        c: Complaint,
        inc: Incident,
        opened: bool,
        count: int,
        window: Window | None = None,
        site_from: str | None = None,
    ) -> None:
        assert c.reporter_chat_id is not None
        still_down = inc.state == State.CLOSED and c.channel == "chat"
        text = self.views.html(
            "ack",
            c=self.views.complaint(c),
            inc=self.views.incident(inc),
            joined=not opened,
            count=count,
            window=window,
            site_from=site_from,
        )
        await self.queue.send(
            tx,
            c.reporter_chat_id,
            text,
            complaint_id=c.id,
            purpose=Purpose.ACK,
            step=model.ENDED_BY_ACKNOWLEDGEMENT,
            markup=self.views.still_down_keyboard(c.id) if still_down else None,
        )

    async def still_down(self, cid: int, press: Press) -> Outcome:
        """The reporter says the network is still down after it was declared normal:
        their complaint gets a new incident and the checks run again."""
        async with self._write() as tx:
            c = await tx.complaints.get(cid)
            found = still_down_outcome(c, press, tx.now)
            if found is not Outcome.OK:
                raise Refused(found)
            assert c is not None and c.reporter_id is not None
            if not await self._may_file(tx.complaints, tx.now, c.reporter_id):
                raise Refused(Outcome.LIMITED)  # reopening is filing again: [limits] holds
            new = await self._open(tx, c.site)
            await tx.incidents.link(cid, new.id)
            await self.transitions.apply(
                tx,
                new,
                Move.STILL_DOWN,
                complaint=c,
                by=press.actor,
                event=EventKind.STILL_DOWN,
                incident=new.id,
                count=await tx.incidents.count(new.id),
                from_incident=c.incident_id,
            )
            await self.diagnoses.announce(tx, new)
            if press.chat_id is not None and press.message_id is not None:
                await self.queue.drop_pressed(tx, press.chat_id, press.message_id)  # used
            if c.reporter_chat_id is not None:
                await self.queue.send(
                    tx,
                    c.reporter_chat_id,
                    self.views.html("still_down", c=self.views.complaint(c)),
                    complaint_id=cid,
                    purpose=Purpose.ACK,
                    priority=URGENT,
                )
        self.diagnoses.start(new.id, new.round)
        return Outcome.OK
