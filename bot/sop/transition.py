"""Apply any SOP transition in the caller's transaction, as the table in ``model`` says.

Authorise (the role first, so a refusal says nothing about which numbers
exist), change the state only if it is still the one the transition starts
from, write the timeline (what happened, the steps that end, the state, the
steps that start) and queue the report and the reporter's notice. Nothing
changes a complaint's state without these rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.delivery.queue import MessageQueue
from bot.render.views import Views
from bot.sop import model
from bot.sop.model import Action, Actor, Command, Report, Role, Transition
from bot.storage import Complaint, Tx

# Answers to a button press (keys of templates/*/answers.txt.j2).
OK, REFUSED, STALE, NOT_FOUND = "ok", "refused", "stale", "not_found"


class Transitions:
    """Applies transitions; knows where each audience's reports go."""

    def __init__(self, queue: MessageQueue, chats: Mapping[Role, int]) -> None:
        self.queue = queue
        self.views: Views = queue.views
        self.chats = chats

    async def authorise(self, tx: Tx, cid: int, roles: frozenset[Role], what: Action | Command,
                        actor: Actor, chat_id: int | None, name: str) -> Complaint | str:
        """The complaint if ``roles`` may do ``what``; else the refusal key, recorded."""
        c = await tx.complaints.get(cid)
        if not model.may(roles, what):
            if c is not None:
                await tx.complaints.event(cid, "refused", actor=actor, action=name,
                                          chat_id=chat_id)
            return REFUSED
        return c if c is not None else NOT_FOUND

    async def apply(self, tx: Tx, c: Complaint, taken: Action, /, *, by: Actor | None,
                    event: str, **detail: Any) -> Transition | None:
        """Take action ``taken`` on ``c``; None (nothing written) when it is not allowed now.

        ``event`` and ``detail`` are the timeline row saying what happened."""
        t = model.transition(c.state, taken)
        if t is None or not await tx.complaints.set_state(c.id, c.state, t.target):
            return None
        rows = tx.complaints
        await rows.event(c.id, event, actor=by, **detail)
        for step in t.ends:
            await rows.event(c.id, "step_end", actor=by, step=step, round=c.round)
        if t.target is not t.source:
            await rows.event(c.id, "state", actor=by, state_from=c.state, state_to=t.target,
                             round=c.round)
        for step in t.starts:
            await rows.event(c.id, "step_start", actor=by, step=step, round=c.round)
        after = await tx.complaints.get(c.id)
        assert after is not None
        if t.report is not None:
            await self._report(tx, after, t.report, by or Actor.bot())
        if t.tell_reporter is not None:
            await self._tell_reporter(tx, after, t.tell_reporter)
        return t

    async def _report(self, tx: Tx, c: Complaint, report: Report, by: Actor) -> None:
        """Steps 8 and 9: the report starts its step now; delivering it ends the step."""
        await tx.complaints.event(c.id, "step_start", actor=by, step=report.step, round=c.round)
        events = await tx.complaints.timeline(c.id)
        v = self.views
        text = v.html(
            report.template, c=v.complaint(c), steps=v.steps(await tx.complaints.checks(
                c.id, c.round)), events=events, times=v.compliance(events),
            vendors=await tx.complaints.vendor_calls(c.id), by=by.name, at=tx.now,
            outcome=model.RECORDED_OUTCOME,
        )
        markup = v.jf_keyboard(c.id) if report.follow_up else None
        await self.queue.send(tx, self.chats[report.audience], text, markup=markup,
                              complaint_id=c.id, purpose=report_purpose(report, c.round),
                              step=report.step)

    async def _tell_reporter(self, tx: Tx, c: Complaint, outcome: str) -> None:
        if c.reporter_chat_id is None:
            return
        text = self.views.html("outcome", c=self.views.complaint(c), outcome=outcome,
                               recorded=model.RECORDED_OUTCOME)
        await self.queue.send(tx, c.reporter_chat_id, text, complaint_id=c.id,
                              purpose="outcome")


def report_purpose(report: Report, round_: int) -> str:
    """The outbox purpose of a report: its template and the diagnosis round it reports."""
    return f"{report.template}:{round_}"
