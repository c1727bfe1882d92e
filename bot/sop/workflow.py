"""The SOP operations people start: file (step 1), decide (7-9), third party (11).

Each is one transaction of state, timeline and outbox (``Transitions.apply``);
the diagnosis runs beside them (``Diagnoses``). Handlers call these after
parsing; the roles are checked here again, whatever a button says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Limits, Vendor
from bot.delivery.queue import MessageQueue
from bot.render.views import Views
from bot.sop import model
from bot.sop.diagnosis import Diagnoses
from bot.sop.model import Action, Actor, Command, Role, State
from bot.sop.transition import OK, STALE, Transitions, report_purpose
from bot.storage import Database, Tx


class RateLimited(Exception):
    """The reporter filed ``[limits] complaints_per_user`` complaints within the window."""


@dataclass(frozen=True, slots=True)
class Press:
    """Who pressed a button, where."""

    actor: Actor
    roles: frozenset[Role]
    chat_id: int | None
    message_id: int | None


class Workflow:
    """The SOP operations, bound to one database, message queue and office config."""

    def __init__(self, db: Database, queue: MessageQueue, transitions: Transitions,
                 diagnoses: Diagnoses, *, limits: Limits, vendors: tuple[Vendor, ...]) -> None:
        self.db = db
        self.queue = queue
        self.views: Views = queue.views
        self.transitions = transitions
        self.diagnoses = diagnoses
        self.limits = limits
        self.vendors = vendors

    # --- step 1: a complaint ----------------------------------------------------------------

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
        """File a complaint and start its diagnosis; None if this update already filed one.

        ``limited``: raise ``RateLimited`` when the reporter is over ``[limits]``; checked
        in the filing transaction, so two updates cannot both slip under the limit.
        """
        lim = self.limits
        async with self.db.write() as tx:
            if limited and reporter.id is not None and lim.complaints_per_user and not (
                    await tx.complaints.may_file(
                        reporter.id, update_id, tx.now - timedelta(minutes=lim.window_minutes),
                        lim.complaints_per_user)):
                raise RateLimited
            cid = await tx.complaints.add(
                state=State.DIAGNOSING, reporter=reporter, reporter_chat_id=reporter_chat_id,
                channel=channel, site=site, text=text, filed_by=filed_by,
                source_update_id=update_id,
            )
            if cid is None:
                return None
            who, rows = filed_by or reporter, tx.complaints
            await rows.event(cid, "filed", actor=who, step=model.RECEIVE, channel=channel,
                             site=site, length=len(text))
            for step in model.DONE_ON_FILING:
                await rows.event(cid, "step_start", actor=who, step=step)
                await rows.event(cid, "step_end", actor=who, step=step)
            for step in model.OPENED_ON_FILING:
                await rows.event(cid, "step_start", actor=who, step=step)
            await rows.event(cid, "state", actor=who, state_to=State.DIAGNOSING, round=1)
            c = await rows.get(cid)
            assert c is not None
            if reporter_chat_id is not None:
                await self.queue.send(tx, reporter_chat_id, self.views.html(
                    "ack", c=self.views.complaint(c)), complaint_id=cid, purpose="ack")
            await self.diagnoses.announce(tx, c)
        self.queue.wake()
        self.diagnoses.start(cid, 1)
        return cid

    # --- step 7: the decision, and steps 8 and 9 --------------------------------------------

    async def decide(self, cid: int, action: Action, press: Press) -> str:
        """Ya / Tidak / Cek ulang pressed by ``press.actor``; returns the answer key."""
        restart: int | None = None
        async with self.db.write() as tx:
            c = await self.transitions.authorise(tx, cid, press.roles, action, press.actor,
                                                 press.chat_id, str(action))
            if isinstance(c, str):
                return c
            t = await self.transitions.apply(tx, c, action, by=press.actor, event="decision",
                                             step=model.DECIDE, round=c.round,
                                             action=str(action))
            if t is None:
                await tx.complaints.event(cid, "stale", actor=press.actor, action=str(action),
                                          state=str(c.state))
                return STALE
            await self.diagnoses.show_decision(
                tx, c, {"action": str(action), "by": press.actor.name, "at": tx.now})
            if t.recheck:
                restart = await self._new_round(tx, cid, press.actor)
        self.queue.wake()
        if restart is not None:
            self.diagnoses.start(cid, restart)
        return OK

    async def _new_round(self, tx: Tx, cid: int, by: Actor) -> int:
        round_ = await tx.complaints.next_round(cid)
        await tx.complaints.event(cid, "recheck", actor=by, round=round_)
        fresh = await tx.complaints.get(cid)
        assert fresh is not None
        await self.diagnoses.announce(tx, fresh)
        return round_

    # --- step 11: the third party -----------------------------------------------------------

    async def show_vendors(self, cid: int, press: Press) -> str:
        """List the configured third parties, each a button that records the call."""
        async with self.db.write() as tx:
            c = await self.transitions.authorise(tx, cid, press.roles, Command.SHOW_VENDORS,
                                                 press.actor, press.chat_id, "show_vendors")
        if isinstance(c, str):
            return c
        if model.transition(c.state, Action.CALL_VENDOR) is None or press.chat_id is None:
            return STALE
        await self.queue.reply(
            press.chat_id, "vendors", complaint_id=cid, c=self.views.complaint(c),
            vendors=list(self.vendors),
            markup=self.views.vendor_keyboard(cid, [v.name for v in self.vendors]),
        )
        return OK

    async def call_vendor(self, cid: int, index: str, press: Press) -> str:
        """Record that a configured vendor was called (step 11 starts)."""
        async with self.db.write() as tx:
            c = await self.transitions.authorise(tx, cid, press.roles, Action.CALL_VENDOR,
                                                 press.actor, press.chat_id, "call_vendor")
            if isinstance(c, str):
                return c
            if not index.isdigit() or int(index) >= len(self.vendors):
                return STALE
            vendor = self.vendors[int(index)]
            t = await self.transitions.apply(tx, c, Action.CALL_VENDOR, by=press.actor,
                                             event="vendor_call", step=model.THIRD_PARTY,
                                             vendor=vendor.name)
            if t is None:
                return STALE
            await tx.complaints.add_vendor_call(cid, vendor.name, press.actor)
            if press.chat_id is not None:
                await self.queue.send(tx, press.chat_id, self.views.html(
                    "vendor_called", c=self.views.complaint(c), vendor=vendor,
                    by=press.actor.name, at=tx.now), complaint_id=cid, purpose="vendor")
        self.queue.wake()
        return OK

    async def set_ticket(self, cid: int, ticket: str, actor: Actor, roles: frozenset[Role],
                         chat_id: int) -> str:
        """Record the vendor's own ticket number on the latest call (/tiket)."""
        async with self.db.write() as tx:
            c = await self.transitions.authorise(tx, cid, roles, Command.TICKET, actor,
                                                 chat_id, "ticket")
            if isinstance(c, str):
                return c
            ok = await tx.complaints.set_ticket(cid, ticket)
            if ok:
                await tx.complaints.event(cid, "ticket", actor=actor, step=model.THIRD_PARTY,
                                          ticket=ticket)
            # Without a vendor call there is nothing to attach it to: say so (STALE).
            await self.queue.send(tx, chat_id, self.views.html(
                "ticket", c=self.views.complaint(c), ticket=ticket, ok=ok),
                complaint_id=cid if ok else None)
        self.queue.wake()  # both answers are queued: deliver now, not at the sender's next poll
        return OK if ok else STALE

    async def fixed(self, cid: int, press: Press) -> str:
        """"Sudah diperbaiki": re-run the checks and go back to the decision."""
        async with self.db.write() as tx:
            c = await self.transitions.authorise(tx, cid, press.roles, Action.FIXED,
                                                 press.actor, press.chat_id, "fixed")
            if isinstance(c, str):
                return c
            t = await self.transitions.apply(tx, c, Action.FIXED, by=press.actor,
                                             event="fixed", round=c.round)
            if t is None:
                return STALE
            if c.state is State.VENDOR:
                await tx.complaints.vendor_fixed(cid)
            jf_report = report_purpose(model.JF_ADB_REPORT, c.round)
            for row in (await tx.outbox.sent_for(cid, jf_report))[-1:]:
                await self.queue.drop_buttons(tx, row)
            await self.queue.send(tx, self.transitions.chats[Role.JF_ADB], self.views.html(
                "fixed", c=self.views.complaint(c), by=press.actor.name, at=tx.now),
                complaint_id=cid, purpose="fixed")
            round_ = await self._new_round(tx, cid, press.actor)
        self.queue.wake()
        self.diagnoses.start(cid, round_)
        return OK

