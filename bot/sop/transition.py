"""Apply any SOP transition to an incident in the caller's transaction, as ``model`` says.

Authorise (the role first, so a refusal says nothing about which numbers
exist), change the incident's state only if it is still the one the
transition starts from, and for every complaint in it write the same change
in its own record (what happened, the steps that end, the state, the steps
that start); then queue the one report and each reporter's notice. Nothing
changes a complaint's state without these rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.delivery.queue import URGENT, MessageQueue
from bot.domain import model
from bot.domain.model import Action, Actor, Command, Role, StepReport, Transition
from bot.render.views import Views
from bot.storage import Complaint, Incident, Tx

# Answers to a button press (keys of templates/*/answers.txt.j2).
OK, REFUSED, STALE, NOT_FOUND = "ok", "refused", "stale", "not_found"


class Transitions:
    """Applies transitions; knows where each audience's reports go."""

    def __init__(self, queue: MessageQueue, chats: Mapping[Role, int]) -> None:
        self.queue = queue
        self.views: Views = queue.views
        self.chats = chats

    async def authorise(
        self,
        tx: Tx,
        iid: int,
        roles: frozenset[Role],
        what: Action | Command,
        actor: Actor,
        chat_id: int | None,
        name: str,
    ) -> Incident | str:
        """The incident if ``roles`` may do ``what``; else the refusal key, recorded."""
        inc = await tx.incidents.get(iid)
        if not model.may(roles, what):
            for c in await tx.incidents.complaints(iid) if inc else []:
                await tx.complaints.event(
                    c.id, "refused", actor=actor, action=name, chat_id=chat_id
                )
            return REFUSED
        return inc if inc is not None else NOT_FOUND

    async def apply(
        self,
        tx: Tx,
        inc: Incident,
        taken: Action,
        /,
        *,
        by: Actor | None,
        event: str,
        **detail: Any,
    ) -> Transition | None:
        """Take action ``taken`` on ``inc``; None (nothing written) when it is not allowed now.

        ``event`` and ``detail`` are the timeline row saying what happened."""
        t = model.transition(inc.state, taken)
        if t is None or not await tx.incidents.set_state(inc.id, inc.state, t.target):
            return None
        complaints = await tx.incidents.complaints(inc.id)
        for c in complaints:
            await self.record(tx, c, t, inc.round, by, event, detail)
        after = await tx.incidents.get(inc.id)
        assert after is not None
        complaints = await tx.incidents.complaints(inc.id)
        if t.report is not None:
            await self._report(tx, after, complaints, t.report, by or Actor.bot())
        if t.tell_reporter is not None:
            for c in complaints:
                await self.tell_reporter(tx, c, t.tell_reporter)
        return t

    @staticmethod
    async def record(
        tx: Tx,
        c: Complaint,
        t: Transition,
        round_: int,
        by: Actor | None,
        event: str,
        detail: Mapping[str, Any],
    ) -> None:
        """One complaint's share of a transition: its state and its timeline rows."""
        rows = tx.complaints
        await rows.set_state(c.id, c.state, t.target)
        await rows.event(c.id, event, actor=by, **detail)
        for step in t.ends:
            await rows.event(c.id, "step_end", actor=by, step=step, round=round_)
        if t.target is not t.source:
            await rows.event(
                c.id, "state", actor=by, state_from=c.state, state_to=t.target, round=round_
            )
        for step in t.starts:
            await rows.event(c.id, "step_start", actor=by, step=step, round=round_)

    async def _report(
        self, tx: Tx, inc: Incident, complaints: list[Complaint], report: StepReport, by: Actor
    ) -> None:
        """Steps 8 and 9: one report lists every complaint; delivering it ends the step."""
        for c in complaints:
            await tx.complaints.event(
                c.id, "step_start", actor=by, step=report.step, round=inc.round
            )
        lead = complaints[0]
        events = await tx.complaints.timeline(lead.id)
        v = self.views
        total = v.span(min(c.created_at for c in complaints), tx.now, *model.TOTAL_STANDARD)
        text = v.html(
            report.template,
            c=v.complaint(lead),
            group=v.group(complaints),
            inc=v.incident(inc),
            steps=v.steps(await tx.incidents.checks(inc.id, inc.round)),
            events=events,
            times=v.compliance(events, tx.now),
            vendors=await tx.incidents.vendor_calls(inc.id),
            by=v.person(by.id, by.name),
            at=tx.now,
            outcome=model.RECORDED_OUTCOME,
            total=total,
            note=inc.note,
        )
        markup = v.jf_keyboard(inc.id) if report.follow_up else None
        await self.queue.send(
            tx,
            self.chats[report.audience],
            text,
            markup=markup,
            complaint_id=lead.id,
            incident_id=inc.id,
            purpose=report_purpose(report, inc.round),
            step=report.step,
            priority=URGENT,
        )

    async def tell_reporter(self, tx: Tx, c: Complaint, outcome: str) -> None:
        """The reporter's notice of the decision, in their own chat (if they have one)."""
        if c.reporter_chat_id is None:
            return
        text = self.views.html(
            "outcome", c=self.views.complaint(c), outcome=outcome, recorded=model.RECORDED_OUTCOME
        )
        await self.queue.send(tx, c.reporter_chat_id, text, complaint_id=c.id, purpose="outcome")


def report_purpose(report: StepReport, round_: int) -> str:
    """The outbox purpose of a report: its template and the diagnosis round it reports."""
    return f"{report.template}:{round_}"
