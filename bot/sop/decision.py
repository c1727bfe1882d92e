"""SOP step 7, the ADB's decision (Ya / Tidak / Cek ulang), which sends the report of step
8 or 9; and the ADB's note (cause and action) once it is decided. After Ya the ADB is
also asked whether a database recovery was done (``bot.sop.recovery``).
"""

from __future__ import annotations

from bot.domain import model
from bot.domain.events import EventKind
from bot.domain.model import MERGED, UNDECIDED, Action, Command
from bot.domain.outcomes import Outcome, Refused
from bot.domain.purposes import Purpose
from bot.sop.part import Part
from bot.sop.recovery import ask_recovery
from bot.sop.transition import Press


class Decision(Part):
    """Step 7 and what follows it."""

    async def decide(self, iid: int, action: Action, press: Press) -> Outcome:
        """Ya / Tidak / Cek ulang pressed by ``press.actor``."""
        restart: int | None = None
        async with self._write() as tx:
            inc = await self.transitions.authorise(tx, iid, press, action, str(action))
            t = await self.transitions.apply(
                tx,
                inc,
                action,
                by=press.actor,
                event=EventKind.DECISION,
                step=model.DECIDE,
                round=inc.round,
                action=str(action),
            )
            if t is None:
                for c in await tx.incidents.complaints(iid):
                    await tx.complaints.event(
                        c.id,
                        EventKind.STALE,
                        actor=press.actor,
                        action=str(action),
                        state=str(inc.state),
                    )
                raise Refused(Outcome.STALE)
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
                    purpose=Purpose.NOTE_ASK,
                )
                if action is Action.YES:  # "recovery database" (bot.sop.recovery)
                    await ask_recovery(
                        tx, self.queue, inc, press.chat_id, self.views.group(linked, details=0)
                    )
        if restart is not None:
            self.diagnoses.start(iid, restart)
        return Outcome.OK

    async def add_note(self, iid: int, note: str, press: Press) -> Outcome:
        """The ADB's cause and action taken, once the incident is decided."""
        async with self._write() as tx:
            inc = await self.transitions.authorise(tx, iid, press, Command.NOTE, "note")
            if inc.state in UNDECIDED or inc.state == MERGED:
                raise Refused(Outcome.STALE)
            await tx.incidents.set_note(iid, note)
            for c in await tx.incidents.complaints(iid):
                await tx.complaints.event(c.id, EventKind.NOTE, actor=press.actor, note=note)
        return Outcome.OK
