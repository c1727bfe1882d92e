"""Apply any SOP transition in the caller's transaction, as ``model.TRANSITIONS`` says.

Authorise (the role first, so a refusal says nothing about which numbers
exist), change the state only if it is still the one the transition starts
from, and write the same change in each complaint's own record (what
happened, the steps that end, the state, the steps that start); then queue
the one report and each reporter's notice. Two kinds of subject: an incident,
whose complaints all move with it (the decision, the third party, a merge),
and one complaint that moves into an incident or out of the SOP (filing,
split, still down, dismissal). Nothing changes a state without these rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.delivery.queue import URGENT, MessageQueue
from bot.domain import model, purposes, timing
from bot.domain.decisive import deciding_round
from bot.domain.events import EventKind
from bot.domain.model import Action, Actor, Command, Move, Role, StepReport, Transition
from bot.domain.outcomes import Outcome, Refused
from bot.domain.path import Break
from bot.domain.purposes import Purpose
from bot.render.views import Views
from bot.sop.fault import Paths, fault_view
from bot.storage import Complaint, Database, Event, Incident, Tx
from checks.models import CheckResult


class _Checks(Protocol):
    """The stored results of a round: ``IncidentReads`` and a transaction's alike."""

    async def checks(self, incident_id: int, round_: int, /) -> list[CheckResult]: ...


async def deciding_checks(
    incidents: _Checks, inc: Incident, events: Sequence[Event]
) -> tuple[int, list[CheckResult]] | None:
    """The round that decided the outage (``deciding_round``) and its results, for the
    reports and the Berita Acara alike; None when no round found anything."""
    rounds = {r: await incidents.checks(inc.id, r) for r in range(1, inc.round + 1)}
    answers = [
        (e.round, str(e.detail.get("action", ""))) for e in events if e.kind == EventKind.DECISION
    ]
    round_ = deciding_round(rounds, answers)
    return None if round_ is None else (round_, rounds[round_])


@dataclass(frozen=True, slots=True)
class Press:
    """Who pressed a button (or sent a command), where, in which update."""

    actor: Actor
    roles: frozenset[Role]
    chat_id: int | None
    message_id: int | None
    update_id: int | None = None


@asynccontextmanager
async def writing(db: Database) -> AsyncIterator[Tx]:
    """A write transaction in which ``Refused`` still commits what was recorded about the
    refusal (who pressed what, and why it changed nothing) before it reaches the caller."""
    refusal: Refused | None = None
    async with db.write() as tx:
        try:
            yield tx
        except Refused as exc:
            refusal = exc
    if refusal is not None:
        raise refusal


class Transitions:
    """Applies transitions; knows where each audience's reports go."""

    def __init__(
        self, queue: MessageQueue, chats: Mapping[Role, int], paths: Paths | None = None
    ) -> None:
        self.paths = paths
        self.queue = queue
        self.views: Views = queue.views
        self.chats = chats

    async def authorise(
        self, tx: Tx, iid: int, press: Press, what: Action | Command, name: str
    ) -> Incident:
        """The incident, if ``press`` may do ``what``; else ``Refused``, recorded in the
        record of every complaint of the incident."""
        inc = await tx.incidents.get(iid)
        if not model.may(press.roles, what):
            for c in await tx.incidents.complaints(iid) if inc else []:
                await tx.complaints.event(
                    c.id, EventKind.REFUSED, actor=press.actor, action=name, chat_id=press.chat_id
                )
            raise Refused(Outcome.REFUSED)
        if inc is None:
            raise Refused(Outcome.NOT_FOUND)
        return inc

    async def apply(
        self,
        tx: Tx,
        inc: Incident,
        taken: Action | Move,
        /,
        *,
        by: Actor | None,
        event: EventKind,
        complaint: Complaint | None = None,
        **detail: Any,
    ) -> Transition | None:
        """Take ``taken``; None (nothing written) when the SOP does not allow it now.

        Without ``complaint`` the incident moves and every complaint in it with it. With
        it, that complaint moves into ``inc`` (taking its state) or, dismissed, out of the
        SOP (``reason`` in ``detail``). ``event`` and ``detail`` are the timeline row
        saying what happened."""
        if complaint is not None:
            return await self._move(tx, inc, complaint, taken, by, event, detail)
        t = model.transition(inc.state, taken)
        if t is None or not await tx.incidents.set_state(inc.id, inc.state, t.target):
            return None
        for c in await tx.incidents.complaints(inc.id):
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

    async def _move(
        self,
        tx: Tx,
        inc: Incident,
        c: Complaint,
        taken: Action | Move,
        by: Actor | None,
        event: EventKind,
        detail: dict[str, Any],
    ) -> Transition | None:
        t = model.transition(c.state, taken, into=inc.state)
        if t is None:
            return None
        if taken is Move.DISMISS:  # closed with its reason, from whatever state it was in
            moved = await tx.complaints.dismiss(c.id, str(detail["reason"]))
        else:
            moved = await tx.complaints.set_state(c.id, c.state, t.target)
        if not moved:
            return None
        await self.record(tx, c, t, inc.round, by, event, detail, moved_already=True)
        return t

    @staticmethod
    async def record(
        tx: Tx,
        c: Complaint,
        t: Transition,
        round_: int,
        by: Actor | None,
        event: EventKind,
        detail: Mapping[str, Any],
        *,
        moved_already: bool = False,
    ) -> None:
        """One complaint's share of a transition: its state and its timeline rows."""
        rows = tx.complaints
        if not moved_already:
            await rows.set_state(c.id, c.state, t.target)
        await rows.event(c.id, event, actor=by, **detail)
        for step in t.ends:
            await rows.event(c.id, EventKind.STEP_END, actor=by, step=step, round=round_)
        if t.target is not t.source:
            await rows.event(
                c.id,
                EventKind.STATE,
                actor=by,
                state_from=c.state,
                state_to=t.target,
                round=round_,
            )
        for step in t.starts:
            await rows.event(c.id, EventKind.STEP_START, actor=by, step=step, round=round_)

    async def _report(
        self, tx: Tx, inc: Incident, complaints: list[Complaint], report: StepReport, by: Actor
    ) -> None:
        """Steps 8 and 9: one report lists every complaint; delivering it ends the step."""
        for c in complaints:
            await tx.complaints.event(
                c.id, EventKind.STEP_START, actor=by, step=report.step, round=inc.round
            )
        v = self.views
        markup = None
        if report.follow_up:  # the broken part's vendor is offered first, one press away
            vendor = self.paths.vendor(await self.located(tx, inc)) if self.paths else None
            markup = v.jf_keyboard(inc.id, vendor.name if vendor else None)
        await self.queue.send(
            tx,
            self.chats[report.audience],
            await self.report_text(tx, inc, complaints, report, by),
            markup=markup,
            complaint_id=complaints[0].id,
            incident_id=inc.id,
            purpose=report_purpose(report, inc.round),
            step=report.step,
            priority=URGENT,
        )

    async def report_text(
        self,
        tx: Tx,
        inc: Incident,
        complaints: list[Complaint],
        report: StepReport,
        by: Actor,
        *,
        at: datetime | None = None,
        **extra: Any,
    ) -> str:
        """A step report's text; ``at`` the decision's time (default now), ``extra`` more
        for its template (the database recovery of a "Laporan recovery database")."""
        at = at or tx.now
        lead = complaints[0]
        events = await tx.complaints.timeline(lead.id)
        checks = await tx.incidents.checks(inc.id, inc.round)
        v = self.views
        return v.html(
            report.template,
            c=v.complaint(lead),
            group=v.group(complaints),
            inc=v.incident(inc),
            steps=v.steps(checks, official=True),
            found=v.found(inc, min(complaints, key=lambda c: c.created_at)),
            decisive=await self._decisive(tx, inc, events),
            events=events,
            times=timing.compliance(events, tx.now, v.calendar),
            this_step=report.step,  # the report is that step: "laporan ini", not "running"
            vendors=await tx.incidents.vendor_calls(inc.id),
            by=v.person(by.id, by.name),
            at=at,
            outcome=model.RECORDED_OUTCOME,
            total=v.total(min(c.created_at for c in complaints), at),
            note=inc.note,
            **extra,
        )

    async def _decisive(self, tx: Tx, inc: Incident, events: list[Event]) -> dict[str, Any] | None:
        """What decided the incident (``bot.domain.decisive``): that round's failed and
        warning findings and the fault point they locate, with who repairs it; None: no
        round found anything."""
        deciding = await deciding_checks(tx.incidents, inc, events)
        if deciding is None:
            return None
        round_, checks = deciding
        located = self.paths.locate(inc.site, checks) if self.paths else None
        vendor = self.paths.vendor(located) if self.paths else None
        return {
            "round": round_,
            "latest": round_ == inc.round,
            "at": max(r.started_at for r in checks),
            "findings": self.views.decisive(checks),
            "fault": fault_view(located, vendor),
        }

    async def located(self, tx: Tx, inc: Incident) -> Break | None:
        """The break the reports name (the deciding round's): whose vendor the JF ADB is
        offered first, and whose line id is told on the phone."""
        if self.paths is None:
            return None
        lead = (await tx.incidents.complaints(inc.id))[0]
        deciding = await deciding_checks(tx.incidents, inc, await tx.complaints.timeline(lead.id))
        return None if deciding is None else self.paths.locate(inc.site, deciding[1])

    async def tell_reporter(self, tx: Tx, c: Complaint, outcome: str) -> None:
        """The reporter's notice of the decision, in their own chat (if they have one)."""
        if c.reporter_chat_id is None:
            return
        text = self.views.html(
            "outcome", c=self.views.complaint(c), outcome=outcome, recorded=model.RECORDED_OUTCOME
        )
        await self.queue.send(
            tx, c.reporter_chat_id, text, complaint_id=c.id, purpose=Purpose.OUTCOME
        )


def report_purpose(report: StepReport, round_: int) -> str:
    """The outbox purpose of a report: its template and the diagnosis round it reports."""
    return purposes.report(report.template, round_)
