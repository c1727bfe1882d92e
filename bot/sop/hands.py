"""The ADB's hands on incidents: split a complaint out (/pisah), merge two incidents
(/gabung), close a complaint that is not a network fault (/tutup).

Each moves complaints by the table's ``Move`` transitions, through
``Transitions.apply``, and is in the audit table.
"""

from __future__ import annotations

from bot.domain import model
from bot.domain.events import EventKind
from bot.domain.model import UNDECIDED, Command, Move, State
from bot.domain.outcomes import Outcome, Refused
from bot.domain.purposes import Purpose
from bot.sop.part import Part
from bot.sop.shared import merge
from bot.sop.third_party import drop_follow_up_buttons
from bot.sop.transition import Press


class Hands(Part):
    """Split, merge, dismiss."""

    async def split(self, cid: int, press: Press) -> Outcome:
        """Take a complaint out of its incident (a different problem): it gets its own
        incident, diagnosis and prompt. Only while the incident is undecided."""
        async with self._write() as tx:
            c = await tx.complaints.get(cid)
            if not model.may(press.roles, Command.SPLIT):
                raise Refused(Outcome.REFUSED)
            if c is None or c.incident_id is None:
                raise Refused(Outcome.NOT_FOUND)
            old = await tx.incidents.get(c.incident_id)
            if (
                old is None
                or old.state not in UNDECIDED
                or model.transition(c.state, Move.SPLIT) is None
                or len(await tx.incidents.complaints(old.id)) < 2
            ):
                raise Refused(Outcome.STALE)
            new = await self._open(tx, c.site)
            await tx.incidents.link(cid, new.id)
            await self.transitions.apply(
                tx,
                new,
                Move.SPLIT,
                complaint=c,
                by=press.actor,
                event=EventKind.SPLIT,
                incident=new.id,
                count=await tx.incidents.count(new.id),
                from_incident=old.id,
            )
            await self._audit(tx, press, "split", f"/pisah {cid}", cid)
            await self.diagnoses.refresh(tx, old.id)
            await self.diagnoses.announce(tx, new)
        self.diagnoses.start(new.id, new.round)
        return Outcome.OK

    async def merge(self, target: int, source: int, press: Press) -> Outcome:
        """Merge incident ``source`` into ``target`` (the same outage), both undecided."""
        async with self._write() as tx:
            if not model.may(press.roles, Command.MERGE):
                raise Refused(Outcome.REFUSED)
            into, src = await tx.incidents.get(target), await tx.incidents.get(source)
            if into is None or src is None:
                raise Refused(Outcome.NOT_FOUND)
            if target == source or into.state not in UNDECIDED or src.state not in UNDECIDED:
                raise Refused(Outcome.STALE)
            await merge(tx, self.diagnoses, src, into, press.actor)
            await self._audit(tx, press, "merged", f"/gabung {target} {source}", None)
        self.diagnoses.cancel(source)
        return Outcome.OK

    async def dismiss(self, cid: int, reason: str, press: Press) -> Outcome:
        """/tutup: close a complaint as not a network fault (a duplicate, a mistake, ...).

        The reporter is told; it leaves its incident, which closes if nothing is left."""
        emptied = None
        async with self._write() as tx:
            c = await tx.complaints.get(cid)
            if not model.may(press.roles, Command.DISMISS):
                raise Refused(Outcome.REFUSED)
            inc = await tx.incidents.get(c.incident_id) if c and c.incident_id else None
            if c is None or inc is None:
                raise Refused(Outcome.NOT_FOUND)
            t = await self.transitions.apply(
                tx,
                inc,
                Move.DISMISS,
                complaint=c,
                by=press.actor,
                event=EventKind.DISMISSED,
                reason=reason,
            )
            if t is None:
                raise Refused(Outcome.STALE)
            await self._audit(tx, press, "dismissed", f"/tutup {cid}", cid)
            if c.reporter_chat_id is not None:
                await self.queue.send(
                    tx,
                    c.reporter_chat_id,
                    self.views.html("dismissed", c=self.views.complaint(c), reason=reason),
                    complaint_id=cid,
                    purpose=Purpose.OUTCOME,
                )
            if inc.state not in (State.CLOSED, State.MERGED):
                if await tx.incidents.complaints(inc.id):
                    await self.diagnoses.refresh(tx, inc.id)
                elif await self.transitions.apply(
                    tx, inc, Move.DISMISS, by=press.actor, event=EventKind.DISMISSED
                ):
                    emptied = inc.id  # its prompt says so, without the buttons
                    await drop_follow_up_buttons(self.queue, tx, inc)  # after Tidak
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
        if emptied is not None:
            self.diagnoses.cancel(emptied)
        return Outcome.OK
