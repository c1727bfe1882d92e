"""The SOP operations people start: file (step 1), decide (7-9), third party (11),
and the ADB's hands on incidents: split a complaint out, merge two incidents.

Each is one transaction of state, timeline and outbox (``Transitions.apply``);
the diagnosis runs beside them (``Diagnoses``). Handlers call these after
parsing; the roles are checked here again, whatever a button says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.delivery.queue import URGENT, MessageQueue
from bot.domain import model
from bot.domain.model import MERGED, Action, Actor, Command, Role, State
from bot.render.views import Views
from bot.settings.office import Grouping, Limits, Vendor
from bot.sop.diagnosis import Diagnoses
from bot.sop.transition import NOT_FOUND, OK, REFUSED, STALE, Transitions, report_purpose
from bot.storage import Complaint, Database, Incident, Tx
from bot.storage.monitor import Window

UNDECIDED = (State.DIAGNOSING, State.AWAITING_DECISION)
# Who files the complaint of an outage monitoring found (no Telegram user, no chat).
MONITOR_REPORTER = Actor(None, "netmaint (pemantauan)")


class RateLimited(Exception):
    """The reporter filed ``[limits] complaints_per_user`` complaints within the window."""


@dataclass(frozen=True, slots=True)
class Press:
    """Who pressed a button (or sent a command), where, in which update."""

    actor: Actor
    roles: frozenset[Role]
    chat_id: int | None
    message_id: int | None
    update_id: int | None = None


class Workflow:
    """The SOP operations, bound to one database, message queue and office config."""

    def __init__(
        self,
        db: Database,
        queue: MessageQueue,
        transitions: Transitions,
        diagnoses: Diagnoses,
        *,
        limits: Limits,
        vendors: tuple[Vendor, ...],
        grouping: Grouping,
    ) -> None:
        self.db = db
        self.queue = queue
        self.views: Views = queue.views
        self.transitions = transitions
        self.diagnoses = diagnoses
        self.limits = limits
        self.vendors = vendors
        self.grouping = grouping

    # --- step 1: a complaint, which opens an incident or joins one --------------------------

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
    ) -> int | None:
        """File a complaint; it joins its site's open incident or opens one (and its
        diagnosis). None if this update already filed one.

        ``limited``: raise ``RateLimited`` when the reporter is over ``[limits]``; checked
        in the filing transaction, so two updates cannot both slip under the limit.
        """
        lim = self.limits
        async with self.db.write() as tx:
            if (
                limited
                and reporter.id is not None
                and lim.complaints_per_user
                and not (
                    await tx.complaints.may_file(
                        reporter.id,
                        update_id,
                        tx.now - timedelta(minutes=lim.window_minutes),
                        lim.complaints_per_user,
                    )
                )
            ):
                raise RateLimited
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
            inc = await tx.incidents.joinable(site, tx.now - window)
            opened = inc is None
            if inc is None:
                inc = await self._open(tx, site)
            await tx.incidents.link(cid, inc.id)
            who = filed_by or reporter
            await self._record_filing(
                tx, cid, who, channel, site, text, acknowledged=reporter_chat_id is not None
            )
            count = await tx.incidents.count(inc.id)  # once: a storm files many at a time
            c = await self._join(tx, cid, inc, by=who, opened=opened, count=count)
            if reporter_chat_id is not None:
                # Planned maintenance: the complaint is filed all the same, and its
                # reporter is told the work is planned and until when.
                planned = await tx.monitor.window(site or "", tx.now)
                await self._acknowledge(tx, c, inc, opened, count, planned)
            if opened:
                await self.diagnoses.announce(tx, inc)
            elif inc.state in UNDECIDED:
                await self.diagnoses.refresh(tx, inc.id)
        self.queue.wake()
        if opened:
            self.diagnoses.start(inc.id, inc.round)
        return cid

    async def file_monitored(self, site: str | None, text: str) -> int | None:
        """Monitoring found ``site`` down: file the bot's own complaint (reporter
        ``MONITOR_REPORTER``, channel "monitor", nobody to acknowledge), which opens an
        incident marked as found by monitoring, its diagnosis and the ADB's prompt, before
        anyone calls. Returns the incident, or None when there is nothing to do: the outage
        monitoring reported is still open (a flapping link), or the site is in planned
        maintenance. One transaction with the site's stored state, so a restart while
        the site is down never opens a second incident.
        """
        key = site or ""
        async with self.db.write() as tx:
            known = await tx.monitor.site(key)
            if known is not None and known.incident_id is not None:
                prior = await tx.incidents.get(known.incident_id)
                if prior is not None and prior.state not in (State.CLOSED, MERGED):
                    return None
            if await tx.monitor.window(key, tx.now) is not None:
                return None
            who = MONITOR_REPORTER
            cid = await tx.complaints.add(
                state=State.DIAGNOSING,
                reporter=who,
                reporter_chat_id=None,
                channel="monitor",
                site=site,
                text=text,
            )
            assert cid is not None  # no update id: nothing to deduplicate
            window = timedelta(minutes=self.grouping.window_minutes)
            inc = await tx.incidents.joinable(site, tx.now - window)
            if inc is not None and inc.state == State.CLOSED:
                inc = None  # declared over, and down again: a new outage
            opened = inc is None
            if inc is None:
                inc = await self._open(tx, site)
                await tx.monitor.mark_found(inc.id)
            await tx.incidents.link(cid, inc.id)
            await self._record_filing(tx, cid, who, "monitor", site, text, acknowledged=False)
            await self._join(tx, cid, inc, by=who, opened=opened)
            await tx.monitor.attach(key, inc.id)
            fresh = await tx.incidents.get(inc.id)
            assert fresh is not None
            if opened:
                await self.diagnoses.announce(tx, fresh)
            elif inc.state in UNDECIDED:
                await self.diagnoses.refresh(tx, inc.id)
        self.queue.wake()
        if opened:
            self.diagnoses.start(inc.id, inc.round)
        return inc.id

    def _who(self, press: Press) -> str:
        """The person who pressed, as the office names them ([[staff]], else Telegram)."""
        return self.views.person(press.actor.id, press.actor.name)

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
    ) -> None:
        """SOP step 1 in the complaint's record; it ends when the acknowledgement is
        delivered, or at once when there is nobody to acknowledge."""
        rows = tx.complaints
        await rows.event(
            cid,
            "filed",
            actor=who,
            step=model.RECEIVE,
            channel=channel,
            site=site,
            length=len(text),
        )
        for step in model.OPENED_ON_FILING:
            await rows.event(cid, "step_start", actor=who, step=step)
        if not acknowledged:
            await rows.event(cid, "step_end", actor=who, step=model.RECEIVE)

    async def _open(self, tx: Tx, site: str | None) -> Incident:
        inc = await tx.incidents.get(await tx.incidents.add(site, State.DIAGNOSING))
        assert inc is not None
        return inc

    async def _join(
        self,
        tx: Tx,
        cid: int,
        inc: Incident,
        *,
        by: Actor | None,
        opened: bool,
        event: str = "joined",
        from_incident: int | None = None,
        count: int | None = None,
    ) -> Complaint:
        """The complaint takes the incident's state, with the steps that state has running.

        ``count``: the incident's complaints, when the caller has counted them already."""
        c = await tx.complaints.get(cid)
        assert c is not None
        if not opened:
            if count is None:
                count = await tx.incidents.count(inc.id)
            await tx.complaints.event(
                cid, event, actor=by, incident=inc.id, count=count, from_incident=from_incident
            )
        if inc.state != c.state:
            await tx.complaints.set_state(cid, c.state, inc.state)
        await tx.complaints.event(
            cid, "state", actor=by, state_from=c.state, state_to=inc.state, round=inc.round
        )
        if inc.state == State.AWAITING_DECISION:  # the ADB's decision is awaited for it too
            await tx.complaints.event(
                cid, "step_start", actor=by, step=model.DECIDE, round=inc.round
            )
        if inc.state == State.CLOSED:
            await tx.complaints.event(cid, "step_end", actor=by, step=model.AGENDA)
        after = await tx.complaints.get(cid)
        assert after is not None
        return after

    async def _acknowledge(
        self,
        tx: Tx,
        c: Complaint,
        inc: Incident,
        opened: bool,
        count: int,
        window: Window | None = None,
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
        )
        await self.queue.send(
            tx,
            c.reporter_chat_id,
            text,
            complaint_id=c.id,
            purpose="ack",
            step=model.ENDED_BY_ACKNOWLEDGEMENT,
            markup=self.views.still_down_keyboard(c.id) if still_down else None,
        )

    # --- step 7: the decision, and steps 8 and 9 --------------------------------------------

    async def decide(self, iid: int, action: Action, press: Press) -> str:
        """Ya / Tidak / Cek ulang pressed by ``press.actor``; returns the answer key."""
        restart: int | None = None
        async with self.db.write() as tx:
            inc = await self.transitions.authorise(
                tx, iid, press.roles, action, press.actor, press.chat_id, str(action)
            )
            if isinstance(inc, str):
                return inc
            t = await self.transitions.apply(
                tx,
                inc,
                action,
                by=press.actor,
                event="decision",
                step=model.DECIDE,
                round=inc.round,
                action=str(action),
            )
            if t is None:
                for c in await tx.incidents.complaints(iid):
                    await tx.complaints.event(
                        c.id, "stale", actor=press.actor, action=str(action), state=str(inc.state)
                    )
                return STALE
            await self.diagnoses.show_outcome(
                tx, inc, decision={"action": str(action), "by": self._who(press), "at": tx.now}
            )
            if t.recheck:
                restart = await self._new_round(tx, iid, press.actor)
            elif press.chat_id is not None:  # after the report, never before it
                linked = await tx.incidents.complaints(iid)
                await self.queue.send(
                    tx,
                    press.chat_id,
                    self.views.html(
                        "note_ask",
                        inc=self.views.incident(inc),
                        action=str(action),
                        at=tx.now,
                        group=self.views.group(linked, details=0),
                    ),
                    incident_id=iid,
                    purpose="note_ask",
                )
        self.queue.wake()
        if restart is not None:
            self.diagnoses.start(iid, restart)
        return OK

    async def _new_round(self, tx: Tx, iid: int, by: Actor) -> int:
        round_ = await tx.incidents.next_round(iid)
        for c in await tx.incidents.complaints(iid):
            await tx.complaints.event(c.id, "recheck", actor=by, round=round_)
        fresh = await tx.incidents.get(iid)
        assert fresh is not None
        await self.diagnoses.announce(tx, fresh)
        return round_

    # --- step 11: the third party -----------------------------------------------------------

    async def show_vendors(self, iid: int, press: Press) -> str:
        """List the configured third parties, each a button that records the call."""
        async with self.db.write() as tx:
            inc = await self.transitions.authorise(
                tx,
                iid,
                press.roles,
                Command.SHOW_VENDORS,
                press.actor,
                press.chat_id,
                "show_vendors",
            )
            if isinstance(inc, str):
                return inc
            lead = (await tx.incidents.complaints(iid))[0]
        if model.transition(inc.state, Action.CALL_VENDOR) is None or press.chat_id is None:
            return STALE
        await self.queue.reply(
            press.chat_id,
            "vendors",
            complaint_id=lead.id,
            c=self.views.complaint(lead),
            inc=self.views.incident(inc),
            vendors=list(self.vendors),
            markup=self.views.vendor_keyboard(iid, [v.name for v in self.vendors]),
        )
        return OK

    async def call_vendor(self, iid: int, index: str, press: Press) -> str:
        """Record that a configured vendor was called (step 11 starts)."""
        async with self.db.write() as tx:
            inc = await self.transitions.authorise(
                tx, iid, press.roles, Action.CALL_VENDOR, press.actor, press.chat_id, "call_vendor"
            )
            if isinstance(inc, str):
                return inc
            if not index.isdigit() or int(index) >= len(self.vendors):
                return STALE
            vendor = self.vendors[int(index)]
            t = await self.transitions.apply(
                tx,
                inc,
                Action.CALL_VENDOR,
                by=press.actor,
                event="vendor_call",
                step=model.THIRD_PARTY,
                vendor=vendor.name,
            )
            if t is None:
                return STALE
            await tx.incidents.add_vendor_call(iid, vendor.name, press.actor.id, press.actor.name)
            if press.chat_id is not None:
                lead = (await tx.incidents.complaints(iid))[0]
                await self.queue.send(
                    tx,
                    press.chat_id,
                    self.views.html(
                        "vendor_called",
                        c=self.views.complaint(lead),
                        inc=self.views.incident(inc),
                        vendor=vendor,
                        by=self._who(press),
                        at=tx.now,
                    ),
                    complaint_id=lead.id,
                    purpose="vendor",
                )
        self.queue.wake()
        return OK

    async def set_ticket(self, cid: int, ticket: str, press: Press) -> str:
        """Record the vendor's own ticket number on the latest call of the complaint's
        incident (/tiket)."""
        async with self.db.write() as tx:
            c = await tx.complaints.get(cid)
            if not model.may(press.roles, Command.TICKET):
                if c is not None:
                    await tx.complaints.event(
                        cid, "refused", actor=press.actor, action="ticket", chat_id=press.chat_id
                    )
                return REFUSED
            if c is None or c.incident_id is None or press.chat_id is None:
                return NOT_FOUND
            ok = await tx.incidents.set_ticket(c.incident_id, ticket)
            if ok:
                for linked in await tx.incidents.complaints(c.incident_id):
                    await tx.complaints.event(
                        linked.id,
                        "ticket",
                        actor=press.actor,
                        step=model.THIRD_PARTY,
                        ticket=ticket,
                    )
            # Without a vendor call there is nothing to attach it to: say so (STALE).
            await self.queue.send(
                tx,
                press.chat_id,
                self.views.html("ticket", c=self.views.complaint(c), ticket=ticket, ok=ok),
                complaint_id=cid if ok else None,
            )
        self.queue.wake()  # both answers are queued: deliver now, not at the sender's next poll
        return OK if ok else STALE

    async def fixed(self, iid: int, press: Press) -> str:
        """ "Sudah diperbaiki": re-run the checks and go back to the decision."""
        async with self.db.write() as tx:
            inc = await self.transitions.authorise(
                tx, iid, press.roles, Action.FIXED, press.actor, press.chat_id, "fixed"
            )
            if isinstance(inc, str):
                return inc
            t = await self.transitions.apply(
                tx, inc, Action.FIXED, by=press.actor, event="fixed", round=inc.round
            )
            if t is None:
                return STALE
            if inc.state == State.VENDOR:
                await tx.incidents.vendor_fixed(iid)
            jf_report = report_purpose(model.JF_ADB_REPORT, inc.round)
            for row in (await tx.outbox.sent_for_incident(iid, jf_report))[-1:]:
                await self.queue.drop_buttons(tx, row)
            lead = (await tx.incidents.complaints(iid))[0]
            await self.queue.send(
                tx,
                self.transitions.chats[Role.JF_ADB],
                self.views.html(
                    "fixed",
                    c=self.views.complaint(lead),
                    inc=self.views.incident(inc),
                    by=self._who(press),
                    at=tx.now,
                ),
                complaint_id=lead.id,
                purpose="fixed",
            )
            round_ = await self._new_round(tx, iid, press.actor)
        self.queue.wake()
        self.diagnoses.start(iid, round_)
        return OK

    # --- the ADB's hands on incidents -------------------------------------------------------

    async def split(self, cid: int, press: Press) -> str:
        """Take a complaint out of its incident (a different problem): it gets its own
        incident, diagnosis and prompt. Only while the incident is undecided."""
        async with self.db.write() as tx:
            c = await tx.complaints.get(cid)
            if not model.may(press.roles, Command.SPLIT):
                return REFUSED
            if c is None or c.incident_id is None:
                return NOT_FOUND
            old = await tx.incidents.get(c.incident_id)
            if (
                old is None
                or old.state not in UNDECIDED
                or len(await tx.incidents.complaints(old.id)) < 2
            ):
                return STALE
            new = await self._open(tx, c.site)
            await tx.incidents.link(cid, new.id)
            await self._join(
                tx, cid, new, by=press.actor, opened=False, event="split", from_incident=old.id
            )
            await self._audit(tx, press, "split", f"/pisah {cid}", cid)
            await self.diagnoses.refresh(tx, old.id)
            await self.diagnoses.announce(tx, new)
        self.queue.wake()
        self.diagnoses.start(new.id, new.round)
        return OK

    async def merge(self, target: int, source: int, press: Press) -> str:
        """Merge incident ``source`` into ``target`` (the same outage), both undecided."""
        async with self.db.write() as tx:
            if not model.may(press.roles, Command.MERGE):
                return REFUSED
            into, src = await tx.incidents.get(target), await tx.incidents.get(source)
            if into is None or src is None:
                return NOT_FOUND
            if target == source or into.state not in UNDECIDED or src.state not in UNDECIDED:
                return STALE
            moved = await tx.incidents.complaints(source)
            await tx.incidents.set_state(source, src.state, MERGED)
            await tx.incidents.merge(source, target)
            for c in moved:
                await self._join(
                    tx,
                    c.id,
                    into,
                    by=press.actor,
                    opened=False,
                    event="merged",
                    from_incident=source,
                )
            await self._audit(tx, press, "merged", f"/gabung {target} {source}", None)
            await self.diagnoses.show_outcome(tx, src, merged_into=target)
            await self.diagnoses.refresh(tx, target)
        self.queue.wake()
        self.diagnoses.cancel(source)
        return OK

    async def still_down(self, cid: int, press: Press) -> str:
        """The reporter says the network is still down after it was declared normal:
        their complaint gets a new incident and the checks run again."""
        async with self.db.write() as tx:
            c = await tx.complaints.get(cid)
            if (
                c is None
                or c.reporter_id != press.actor.id
                or not model.may(press.roles, Command.STILL_DOWN)
            ):
                return NOT_FOUND
            if c.state != State.CLOSED:
                return STALE
            new = await self._open(tx, c.site)
            await tx.incidents.link(cid, new.id)
            await tx.complaints.event(cid, "step_start", actor=press.actor, step=model.AGENDA)
            await self._join(
                tx,
                cid,
                new,
                by=press.actor,
                opened=False,
                event="still_down",
                from_incident=c.incident_id,
            )
            await self.diagnoses.announce(tx, new)
            if c.reporter_chat_id is not None:
                await self.queue.send(
                    tx,
                    c.reporter_chat_id,
                    self.views.html("still_down", c=self.views.complaint(c)),
                    complaint_id=cid,
                    purpose="ack",
                    priority=URGENT,
                )
        self.queue.wake()
        self.diagnoses.start(new.id, new.round)
        return OK

    # --- after the decision: the ADB's note; closing what is not a network fault -----------

    async def add_note(self, iid: int, note: str, press: Press) -> str:
        """The ADB's cause and action taken, once the incident is decided."""
        async with self.db.write() as tx:
            inc = await self.transitions.authorise(
                tx, iid, press.roles, Command.NOTE, press.actor, press.chat_id, "note"
            )
            if isinstance(inc, str):
                return inc
            if inc.state in UNDECIDED or inc.state == MERGED:
                return STALE
            await tx.incidents.set_note(iid, note)
            for c in await tx.incidents.complaints(iid):
                await tx.complaints.event(c.id, "note", actor=press.actor, note=note)
        return OK

    async def dismiss(self, cid: int, reason: str, press: Press) -> str:
        """/tutup: close a complaint as not a network fault (a duplicate, a mistake, ...).

        The reporter is told; it leaves its incident, which closes if nothing is left."""
        async with self.db.write() as tx:
            c = await tx.complaints.get(cid)
            if not model.may(press.roles, Command.DISMISS):
                return REFUSED
            if c is None:
                return NOT_FOUND
            if not await tx.complaints.dismiss(cid, reason):
                return STALE
            await tx.complaints.event(cid, "dismissed", actor=press.actor, reason=reason)
            await tx.complaints.event(
                cid, "state", actor=press.actor, state_from=c.state, state_to=State.CLOSED
            )
            await tx.complaints.event(cid, "step_end", actor=press.actor, step=model.AGENDA)
            await self._audit(tx, press, "dismissed", f"/tutup {cid}", cid)
            if c.reporter_chat_id is not None:
                await self.queue.send(
                    tx,
                    c.reporter_chat_id,
                    self.views.html("dismissed", c=self.views.complaint(c), reason=reason),
                    complaint_id=cid,
                    purpose="outcome",
                )
            emptied = None
            inc = await tx.incidents.get(c.incident_id) if c.incident_id else None
            if inc is not None and inc.state not in (State.CLOSED, MERGED):
                if await tx.incidents.complaints(inc.id):
                    await self.diagnoses.refresh(tx, inc.id)
                elif await tx.incidents.set_state(inc.id, inc.state, State.CLOSED):
                    emptied = inc.id  # its prompt says so, without the buttons
                    checks = await tx.incidents.checks(inc.id, inc.round)
                    await self.diagnoses.edit(
                        tx,
                        inc,
                        self.diagnoses.text(
                            inc,
                            [c],
                            checks,
                            done=True,
                            decision={"action": "dismissed", "by": self._who(press), "at": tx.now},
                        ),
                    )
        self.queue.wake()
        if emptied is not None:
            self.diagnoses.cancel(emptied)
        return OK

    @staticmethod
    async def _audit(tx: Tx, press: Press, outcome: str, what: str, cid: int | None) -> None:
        await tx.audit.add(
            update_id=press.update_id,
            user=press.actor,
            chat_id=press.chat_id,
            kind="command",
            what=what,
            outcome=outcome,
            complaint_id=cid,
        )
