"""After Ya (SOP steps 7-9): was a database recovery needed, and done? ("recovery database")

The SOP names "recovery database" and "Laporan recovery database" (kept on
Hardisk/Flashdisk) as the outputs of steps 7-9, under its warning "Hati-hati
bekerja dengan database". When the ADB presses Ya, the bot asks them, in their
chat after the decision, whether a recovery was done, with that warning.

When the Kabid hears of it: the completion report (step 9) goes at Ya, as before,
never waiting for this answer, so an ADB who never answers delays and loses
nothing. "Ya, recovery database sudah dilakukan" then sends a follow-up to the
Kabid group: the same report, titled "Laporan recovery database" and saying who
did the recovery and when. "Tidak perlu recovery" sends nothing more: the report
the Kabid has already tells the whole story. Holding the report for a short bound
was the other choice; it would spend step 9's five minutes on a question the SOP
does not time, and need a timer that survives a restart.

The question applies while the incident is closed by Ya (closed with complaints
still in it; one emptied by /tutup closes without a Ya) and not answered yet. Any
other press (a forged one, a second one, one after the answer) changes nothing;
the refusal is in every complaint's record, as for the decision buttons.
"""

from __future__ import annotations

from typing import Any

from bot.delivery.queue import URGENT, MessageQueue
from bot.domain import model
from bot.domain.events import EventKind
from bot.domain.model import Action, Actor, Command, Role, State
from bot.domain.outcomes import Outcome, Refused
from bot.domain.purposes import Purpose
from bot.sop.part import Part
from bot.sop.transition import Press
from bot.storage import Complaint, Incident, Tx
from bot.storage.incidents import IncidentReads

# The buttons' answers, as the timeline stores them (and the documents print them).
DONE, NOT_NEEDED = "ya", "tidak"


async def ask_recovery(
    tx: Tx, queue: MessageQueue, inc: Incident, chat_id: int, group: dict[str, Any]
) -> None:
    """Queue the question, with its buttons, in the chat where the ADB pressed Ya."""
    views = queue.views
    await queue.send(
        tx,
        chat_id,
        views.html("recovery_ask", inc=views.incident(inc), group=group, at=tx.now),
        markup=views.recovery_keyboard(inc.id),
        incident_id=inc.id,
        purpose=Purpose.RECOVERY_ASK,
    )


async def is_open(incidents: IncidentReads, inc: Incident) -> bool:
    """Whether the question still applies: closed by Ya, and not answered yet."""
    return (
        inc.state == State.CLOSED
        and await incidents.count(inc.id) > 0
        and await incidents.recovery(inc.id) is None
    )


class Recovery(Part):
    """The ADB's answer to "Apakah perlu recovery database?"."""

    async def preview_recovery(self, iid: int, press: Press) -> Outcome:
        """What the press will answer (read before the work, like ``Preview``)."""
        if not model.may(press.roles, Command.RECOVERY):
            return Outcome.REFUSED
        inc = await self.db.reads.incidents.get(iid)
        if inc is None:
            return Outcome.NOT_FOUND
        return Outcome.OK if await is_open(self.db.reads.incidents, inc) else Outcome.STALE

    async def answer_recovery(self, iid: int, done: bool, press: Press) -> Outcome:
        """Record the answer in every complaint's timeline; a recovery done is reported."""
        answer = DONE if done else NOT_NEEDED
        name = f"recovery_{answer}"
        async with self._write() as tx:
            inc = await self.transitions.authorise(tx, iid, press, Command.RECOVERY, name)
            complaints = await tx.incidents.complaints(iid)
            if not await is_open(tx.incidents, inc):
                for c in complaints:
                    await tx.complaints.event(
                        c.id, EventKind.STALE, actor=press.actor, action=name, state=inc.state
                    )
                raise Refused(Outcome.STALE)
            for c in complaints:
                await tx.complaints.event(
                    c.id, EventKind.RECOVERY, actor=press.actor, incident=iid, answer=answer
                )
            if done:
                await self._report(tx, inc, complaints, press)
        return Outcome.OK

    async def _report(
        self, tx: Tx, inc: Incident, complaints: list[Complaint], press: Press
    ) -> None:
        """The follow-up "Laporan recovery database" to the Kabid group: step 9's report
        again, with the decision as it was (who pressed Ya, when) and the recovery."""
        yes = [
            e
            for e in await tx.complaints.timeline(complaints[0].id)
            if e.kind == EventKind.DECISION and e.detail.get("action") == Action.YES
        ]
        by = Actor(yes[-1].actor_id, yes[-1].actor_name or "") if yes else press.actor
        text = await self.transitions.report_text(
            tx,
            inc,
            complaints,
            model.KABID_REPORT,
            by,
            at=inc.decided_at,
            recovery={"by": self._who(press), "at": tx.now},
        )
        await self.queue.send(
            tx,
            self.transitions.chats[Role.KABID],
            text,
            complaint_id=complaints[0].id,
            incident_id=inc.id,
            purpose=Purpose.RECOVERY_REPORT,
            priority=URGENT,
        )
