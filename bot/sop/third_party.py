"""SOP step 11, the third party: after Tidak the JF ADB calls a vendor, records its
ticket number, and says when it is repaired, which runs the checks again (steps 2-6)
and goes back to the decision (step 7).
"""

from __future__ import annotations

from bot.delivery.queue import MessageQueue
from bot.domain import model
from bot.domain.events import EventKind
from bot.domain.model import Action, Command, Role, State
from bot.domain.outcomes import Outcome, Refused
from bot.domain.purposes import Purpose
from bot.render import buttons
from bot.sop.fault import fault_view, first_vendor, service_id_for
from bot.sop.part import Part
from bot.sop.transition import Press, report_purpose
from bot.storage import Incident, Tx


async def drop_follow_up_buttons(queue: MessageQueue, tx: Tx, inc: Incident) -> None:
    """The JF ADB's buttons about this round (the report's, the vendor lists') stop
    applying: the repair was reported, or the incident was closed."""
    jf_report = report_purpose(model.JF_ADB_REPORT, inc.round)
    await queue.drop_buttons_of(tx, inc.id, jf_report, Purpose.VENDORS)


class ThirdParty(Part):
    """The vendor list, the call, the ticket, the repair."""

    async def show_vendors(self, iid: int, press: Press) -> Outcome:
        """List the configured third parties, each a button that records the call."""
        async with self._write() as tx:
            inc = await self.transitions.authorise(
                tx, iid, press, Command.SHOW_VENDORS, "show_vendors"
            )
            lead = (await tx.incidents.complaints(iid))[0]
            if model.transition(inc.state, Action.CALL_VENDOR) is None or press.chat_id is None:
                raise Refused(Outcome.STALE)
            located = await self.transitions.located(tx, inc)
            paths = self.transitions.paths
            first = paths.vendor(located) if paths else None
            vendors = first_vendor(self.vendors, first.name if first else None)
            await self.queue.send(
                tx,
                press.chat_id,
                self.views.html(
                    "vendors",
                    complaint_id=lead.id,
                    c=self.views.complaint(lead),
                    inc=self.views.incident(inc),
                    vendors=vendors,
                    first=first.name if first else None,
                    fault=fault_view(located, first),
                ),
                markup=self.views.vendor_keyboard(iid, [v.name for v in vendors]),
                complaint_id=lead.id,
                incident_id=iid,  # found again to take its buttons away once one is pressed
                purpose=Purpose.VENDORS,
            )
        return Outcome.OK

    async def call_vendor(self, iid: int, key: str, press: Press) -> Outcome:
        """Record that a configured vendor was called (step 11 starts). ``key`` names the
        vendor (``buttons.key``), so a reordered [[vendors]] still records the one pressed;
        a key no vendor has (renamed, removed, forged) is stale and records nothing."""
        async with self._write() as tx:
            inc = await self.transitions.authorise(
                tx, iid, press, Action.CALL_VENDOR, "call_vendor"
            )
            vendor = buttons.find(self.vendors, key, lambda v: v.name)
            if vendor is None:
                raise Refused(Outcome.STALE)
            t = await self.transitions.apply(
                tx,
                inc,
                Action.CALL_VENDOR,
                by=press.actor,
                event=EventKind.VENDOR_CALL,
                step=model.THIRD_PARTY,
                vendor=vendor.name,
            )
            if t is None:
                raise Refused(Outcome.STALE)
            await tx.incidents.add_vendor_call(iid, vendor.name, press.actor.id, press.actor.name)
            # Called: every list of this incident loses its buttons (another call starts
            # from the report's "Hubungi pihak ke tiga", which lists them again).
            await self.queue.drop_buttons_of(tx, iid, Purpose.VENDORS)
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
                        service_id=service_id_for(
                            await self.transitions.located(tx, inc), vendor.name
                        ),
                        by=self._who(press),
                        at=tx.now,
                    ),
                    complaint_id=lead.id,
                    purpose=Purpose.VENDOR,
                )
        return Outcome.OK

    async def set_ticket(self, cid: int, ticket: str, press: Press) -> Outcome:
        """Record the vendor's own ticket number on the latest call of the complaint's
        incident (/tiket). Without a vendor call there is nothing to attach it to: the
        answer says so, and the outcome is ``STALE``."""
        try:
            return await self._set_ticket(cid, ticket, press)
        finally:
            self.queue.wake()  # the answer is queued either way: deliver it now

    async def _set_ticket(self, cid: int, ticket: str, press: Press) -> Outcome:
        async with self._write() as tx:
            c = await tx.complaints.get(cid)
            if not model.may(press.roles, Command.TICKET):
                if c is not None:
                    await tx.complaints.event(
                        cid,
                        EventKind.REFUSED,
                        actor=press.actor,
                        action="ticket",
                        chat_id=press.chat_id,
                    )
                raise Refused(Outcome.REFUSED)
            if c is None or c.incident_id is None or press.chat_id is None:
                raise Refused(Outcome.NOT_FOUND)
            ok = await tx.incidents.set_ticket(c.incident_id, ticket)
            if ok:
                for linked in await tx.incidents.complaints(c.incident_id):
                    await tx.complaints.event(
                        linked.id,
                        EventKind.TICKET,
                        actor=press.actor,
                        step=model.THIRD_PARTY,
                        ticket=ticket,
                    )
            await self.queue.send(
                tx,
                press.chat_id,
                self.views.html("ticket", c=self.views.complaint(c), ticket=ticket, ok=ok),
                complaint_id=cid if ok else None,
            )
            if not ok:
                raise Refused(Outcome.STALE)  # the answer above is committed with it
        return Outcome.OK

    async def fixed(self, iid: int, press: Press) -> Outcome:
        """ "Sudah diperbaiki": re-run the checks and go back to the decision."""
        async with self._write() as tx:
            inc = await self.transitions.authorise(tx, iid, press, Action.FIXED, "fixed")
            t = await self.transitions.apply(
                tx, inc, Action.FIXED, by=press.actor, event=EventKind.FIXED, round=inc.round
            )
            if t is None:
                raise Refused(Outcome.STALE)
            if inc.state == State.VENDOR:
                await tx.incidents.vendor_fixed(iid)
            await drop_follow_up_buttons(self.queue, tx, inc)
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
                purpose=Purpose.FIXED,
            )
            round_ = await self._new_round(tx, iid, press.actor)
        self.diagnoses.start(iid, round_)
        return Outcome.OK
