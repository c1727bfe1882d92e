"""What a button press will answer, read before the work: the callback query is answered
first (python-telegram-bot's inlinekeyboard.py), not after the write transaction.

Read-only, from the same table (``model.may``, ``model.transition``) the operation
applies; the operation then decides for real in its transaction, records any
refusal and is audited by what it did. Updates are handled one at a time, so the
two agree unless the background diagnosis changed the incident in between (then
the answer says what was expected, and the record says what happened).
"""

from __future__ import annotations

from bot.domain import model
from bot.domain.model import Action, Command
from bot.domain.outcomes import Outcome
from bot.render import buttons
from bot.sop.filing import still_down_outcome
from bot.sop.part import Part
from bot.sop.transition import Press


class Preview(Part):
    """The expected outcome of each button's operation."""

    async def _incident_outcome(
        self, iid: int, press: Press, what: Action | Command, taken: Action
    ) -> Outcome:
        if not model.may(press.roles, what):
            return Outcome.REFUSED
        inc = await self.db.reads.incidents.get(iid)
        if inc is None:
            return Outcome.NOT_FOUND
        return Outcome.OK if model.transition(inc.state, taken) else Outcome.STALE

    async def preview_decide(self, iid: int, action: Action, press: Press) -> Outcome:
        return await self._incident_outcome(iid, press, action, action)

    async def preview_fixed(self, iid: int, press: Press) -> Outcome:
        return await self._incident_outcome(iid, press, Action.FIXED, Action.FIXED)

    async def preview_show_vendors(self, iid: int, press: Press) -> Outcome:
        found = await self._incident_outcome(iid, press, Command.SHOW_VENDORS, Action.CALL_VENDOR)
        return Outcome.STALE if found is Outcome.OK and press.chat_id is None else found

    async def preview_call_vendor(self, iid: int, key: str, press: Press) -> Outcome:
        found = await self._incident_outcome(iid, press, Action.CALL_VENDOR, Action.CALL_VENDOR)
        if found is Outcome.OK and buttons.find(self.vendors, key, lambda v: v.name) is None:
            return Outcome.STALE
        return found

    async def preview_still_down(self, cid: int, press: Press) -> Outcome:
        c = await self.db.reads.complaints.get(cid)
        found = still_down_outcome(c, press, self.db.clock())
        if found is Outcome.OK and c is not None and c.reporter_id is not None:
            limited = await self.over_limit(c.reporter_id)
            return Outcome.LIMITED if limited else found
        return found
