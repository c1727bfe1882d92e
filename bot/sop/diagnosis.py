"""SOP steps 2-6 for each incident: run the checks in the background, show them live.

One run per incident at a time, however many complaints joined it: a storm
of complaints about one site costs one diagnosis and one message to the ADB.
Each result is committed as it arrives (waiting out another program's lock
on the database, never dropped), into the incident and into every
complaint's own record, and the ADB's diagnosis message is edited to show it;
when the run ends the ``CHECKS_DONE`` transition puts the Ya/Tidak buttons
under it. A run cut short by a restart is run again (``resume``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from bot.agents import AgentLookup
from bot.delivery.queue import BACKGROUND, NORMAL, URGENT, MessageQueue
from bot.domain import purposes
from bot.domain.events import EventKind
from bot.domain.model import Action, State
from bot.render import listing
from bot.render.fit import LIMIT
from bot.render.views import Views
from bot.sop.fault import Paths, fault_view
from bot.sop.fault_notices import FaultNotices
from bot.sop.shared import SharedParts, merge
from bot.sop.transition import Transitions
from bot.storage import Complaint, Database, Incident, Tx
from bot.storage.locked import patiently
from checks.models import CheckResult, Report

log = logging.getLogger(__name__)
# A finished check is not thrown away because another program (a backup, an sqlite3
# shell) holds the database past SQLite's busy timeout: its write is tried again, for
# up to a day; a restart meanwhile runs the diagnosis again (``resume``).
LOCKED_PATIENCE_S = 24 * 3600.0
FEW_DETAILS = 20  # complaints that likely fit in detail: one render
MIN_DETAIL = 20  # characters a complaint's detail line takes at least
DETAIL = "• #K"  # how a complaint's detail line starts in the diagnosis templates


class Diagnoses:
    """The running diagnoses, and the diagnosis message each incident keeps up to date."""

    def __init__(
        self,
        db: Database,
        queue: MessageQueue,
        transitions: Transitions,
        agent_for: AgentLookup,
        paths: Paths | None = None,
    ) -> None:
        self.paths = paths
        self.shared = SharedParts(paths)
        self.notices = FaultNotices(queue, paths) if paths else None
        self.db = db
        self.queue = queue
        self.views: Views = queue.views
        self.transitions = transitions
        self._agent_for = agent_for
        self._tasks: dict[int, asyncio.Task[None]] = {}

    # --- the diagnosis message --------------------------------------------------------------

    def text(
        self,
        inc: Incident,
        complaints: list[Complaint],
        checks: list[CheckResult],
        *,
        done: bool,
        decision: dict[str, Any] | None = None,
        error: bool = False,
        merged_into: int | None = None,
    ) -> str:
        """The message, with as many complaints in detail as fit one Telegram message
        (every #K tag is there or, past its share, in the continuations: ``follow_up``)."""
        v = self.views
        # A merged incident's message points to the one deciding: that one names the fault.
        located = done and self.paths and merged_into is None
        fault = fault_view(self.paths.locate(inc.site, checks)) if located and self.paths else None
        listed = listing.in_prompt([c.tag for c in complaints])

        def render(details: int) -> str:
            return v.html(
                "diagnosis",
                c=v.complaint(complaints[0]),
                inc=v.incident(inc),
                group=v.group(complaints, details=details, listed=listed),
                steps=v.steps(checks),
                auto=v.auto_seconds(checks),
                fault=fault,
                done=done,
                decision=decision,
                error=error,
                merged_into=merged_into,
            )

        n = len(complaints)
        if n <= FEW_DETAILS and len(text := render(n)) <= LIMIT:
            return text
        # Three renders, not a search (each join of a storm renders this): the bare
        # message, then more details than can fit, whose lines say how many do.
        bare = len(render(0))
        room = LIMIT - bare
        text = render(min(n, room // MIN_DETAIL + 1))
        if len(text) <= LIMIT and room // MIN_DETAIL + 1 >= n:
            return text
        shown = 0
        for line in (x for x in text.split("\n") if x.startswith(DETAIL)):
            room -= len(line) + 1
            if room < 0:
                break
            shown += 1
        while shown and len(text := render(shown)) > LIMIT:  # the estimate was off: fewer
            shown -= 1
        return text if shown else render(0)

    async def announce(self, tx: Tx, inc: Incident) -> None:
        """Send this round's (still empty) diagnosis to every ADB chat."""
        complaints = await tx.incidents.complaints(inc.id)
        text = self.text(inc, complaints, [], done=False)
        for chat in self.queue.adb_chats:
            await self.queue.send(
                tx,
                chat,
                text,
                complaint_id=complaints[0].id,
                incident_id=inc.id,
                purpose=purposes.diagnosis(inc.round),
                priority=URGENT,
            )
        await self.follow_up(tx, inc, complaints)

    async def follow_up(self, tx: Tx, inc: Incident, complaints: list[Complaint]) -> None:
        """The tags the prompt has no room for, in its continuation messages: each sent
        once, edited only when its list changed, pointing back up once no longer needed."""
        tags = [c.tag for c in complaints]
        pages = self.views.continuations(inc, tags[listing.in_prompt(tags) :])
        no = 0
        while True:
            no += 1
            purpose = purposes.diagnosis_more(inc.round, no)
            rows = await tx.outbox.sent_for_incident(inc.id, purpose)
            if no > len(pages) and not rows:
                return
            text = pages[no - 1] if no <= len(pages) else self.views.no_continuation(inc, no)
            if not rows:
                await self.queue.to_adbs_under_prompt(tx, inc.id, inc.round, text, purpose)
            for row in rows:
                if await tx.outbox.latest_text(row) != text:
                    await self.queue.edit(tx, row, text, incident_id=inc.id)

    async def edit(
        self, tx: Tx, inc: Incident, text: str, *, buttons: bool = False, priority: int = NORMAL
    ) -> None:
        """Edit this round's diagnosis message in every ADB chat."""
        markup = self.views.decision_keyboard(inc.id) if buttons else None
        for row in await tx.outbox.sent_for_incident(inc.id, purposes.diagnosis(inc.round)):
            await self.queue.edit(tx, row, text, markup, priority=priority)

    async def refresh(self, tx: Tx, iid: int) -> None:
        """Show the incident as it is now (a complaint joined, left or was merged in)."""
        inc = await tx.incidents.get(iid)
        if inc is None:
            return
        complaints = await tx.incidents.complaints(iid)
        if not complaints or inc.state not in (State.DIAGNOSING, State.AWAITING_DECISION):
            return
        waiting = inc.state == State.AWAITING_DECISION
        checks = await tx.incidents.checks(iid, inc.round)
        await self.edit(
            tx,
            inc,
            self.text(inc, complaints, checks, done=waiting),
            buttons=waiting,
            # Urgent even while the checks run: at NORMAL a storm's join waited behind
            # every acknowledgement queued before it for the overall 30/s.
            priority=URGENT,
        )
        await self.follow_up(tx, inc, complaints)
        if waiting and self.notices:  # a reporter who joined is told where the fault is
            await self.notices.tell(tx, inc, checks)

    async def show_outcome(
        self,
        tx: Tx,
        inc: Incident,
        *,
        decision: dict[str, Any] | None = None,
        merged_into: int | None = None,
    ) -> None:
        """The decision (or the merge) replaces the buttons, so nobody presses twice.

        A merged incident's message that has not gone out yet is withdrawn instead: in a
        storm behind a broken shared part, a dozen "digabung" notices at the ADB chat's
        one message a second held the one prompt that names the part (the prompt lists
        every merged complaint)."""
        complaints = await tx.incidents.complaints(merged_into or inc.id)
        checks = await tx.incidents.checks(inc.id, inc.round)
        text = self.text(
            inc, complaints, checks, done=True, decision=decision, merged_into=merged_into
        )
        for row in await tx.outbox.sent_for_incident(inc.id, purposes.diagnosis(inc.round)):
            if merged_into is not None and await tx.outbox.withdraw(row.id):
                continue
            await self.queue.edit(tx, row, text, None, priority=URGENT)

    # --- running ----------------------------------------------------------------------------

    def start(self, iid: int, round_: int) -> None:
        """Run steps 2-6 in the background (one run per incident at a time)."""
        self.cancel(iid)
        task = asyncio.create_task(self._run(iid, round_), name=f"diagnose-I{iid}")
        self._tasks[iid] = task
        task.add_done_callback(
            lambda t: self._tasks.pop(iid, None) if self._tasks.get(iid) is t else None
        )

    def cancel(self, iid: int) -> None:
        """Stop a run whose result nobody needs any more (its incident was merged)."""
        old = self._tasks.pop(iid, None)
        if old is not None:
            old.cancel()

    async def resume(self) -> int:
        """After a restart: run again every diagnosis that was cut short."""
        pending = await self.db.reads.incidents.in_states((State.DIAGNOSING,))
        for inc in pending:
            log.info("resuming the diagnosis of %s (round %d)", inc.tag, inc.round)
            self.start(inc.id, inc.round)
        return len(pending)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    async def idle(self) -> None:
        """Wait until no diagnosis is running (tests, graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _run(self, iid: int, round_: int) -> None:
        inc = await self.db.reads.incidents.get(iid)
        if inc is None:
            return
        report: Report | None = None
        try:
            agent = self._agent_for(inc.site)
            report = await agent.diagnose(on_result=lambda r: self._on_result(iid, round_, r))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("diagnosis of %s failed", inc.tag)
        await self._finish(iid, round_, report)

    async def _on_result(self, iid: int, round_: int, result: CheckResult) -> None:
        what = f"storing step {result.step} of incident {iid}'s diagnosis"
        await patiently(
            what, lambda: self._store_result(iid, round_, result), give_up_after_s=LOCKED_PATIENCE_S
        )
        self.queue.wake()

    async def _store_result(self, iid: int, round_: int, result: CheckResult) -> None:
        async with self.db.write() as tx:
            inc = await tx.incidents.get(iid)
            if inc is None or inc.round != round_ or inc.state != State.DIAGNOSING:
                return
            await tx.incidents.add_check(iid, round_, result)
            start = result.started_at
            end = start + timedelta(seconds=result.duration_s)
            rows = tx.complaints
            complaints = await tx.incidents.complaints(iid)
            for c in complaints:  # each complaint's record shows its own steps 2-6
                await rows.event(
                    c.id, EventKind.STEP_START, step=result.step, round=round_, at=start
                )
                await rows.event(c.id, EventKind.STEP_END, step=result.step, round=round_, at=end)
                await rows.event(
                    c.id, EventKind.CHECK, step=result.step, round=round_, status=str(result.status)
                )
            checks = await tx.incidents.checks(iid, round_)
            await self.edit(
                tx, inc, self.text(inc, complaints, checks, done=False), priority=BACKGROUND
            )

    async def _located(self, tx: Tx, inc: Incident, round_: int) -> bool:
        """Where this run found the break: the incident becomes that part's (a re-check
        that finds every part answering makes it no part's). True when the part is shared
        and already has its open incident, into which this one is merged (still
        diagnosing: nobody was asked to decide on it)."""
        if self.paths is None or inc.state != State.DIAGNOSING:
            return False
        found = self.paths.locate(inc.site, await tx.incidents.checks(inc.id, round_))
        if found is None:
            return False
        if found.part is None:
            if inc.part is not None and not found.found and found.unknown is None:
                await tx.incidents.set_part(inc.id, None)  # every part answers again
            return False
        part = found.part.name
        if self.shared.shared_break(inc.site, part) is not None and await self._mergeable(tx, inc):
            into = next((i for i in await tx.incidents.at_parts((part,)) if i.id != inc.id), None)
            if into is not None:
                log.info("%s: the break at %s is %s's outage; merged", inc.tag, part, into.tag)
                await merge(tx, self, inc, into, None)
                return True
        if inc.part != part:
            await tx.incidents.set_part(inc.id, part)
        return False

    @staticmethod
    async def _mergeable(tx: Tx, inc: Incident) -> bool:
        """Never decided on, and no complaint in it split out by an ADB (/pisah: the ADB
        said it is another problem; their hand is not undone)."""
        if inc.decided_at is not None or inc.round != 1:
            return False
        for c in await tx.incidents.complaints(inc.id):
            if any(e.kind == EventKind.SPLIT for e in await tx.complaints.timeline(c.id)):
                return False
        return True

    async def _finish(self, iid: int, round_: int, report: Report | None) -> None:
        what = f"storing the end of incident {iid}'s diagnosis"
        await patiently(
            what, lambda: self._store_finish(iid, round_, report), give_up_after_s=LOCKED_PATIENCE_S
        )
        self.queue.wake()

    async def _store_finish(self, iid: int, round_: int, report: Report | None) -> None:
        async with self.db.write() as tx:
            inc = await tx.incidents.get(iid)
            if inc is None or inc.round != round_:
                return
            if report is not None and await self._located(tx, inc, round_):
                return  # merged into the broken part's incident: that one decides
            if report is None:
                done = await self.transitions.apply(
                    tx,
                    inc,
                    Action.CHECKS_DONE,
                    by=None,
                    event=EventKind.ERROR,
                    round=round_,
                    what="diagnosis",
                )
            else:
                done = await self.transitions.apply(
                    tx,
                    inc,
                    Action.CHECKS_DONE,
                    by=None,
                    event=EventKind.DIAGNOSIS,
                    round=round_,
                    verdict=str(report.verdict),
                    host=report.host,
                    seconds=report.duration_s,
                )
            if done is None:
                return
            after = await tx.incidents.get(iid)
            assert after is not None
            complaints = await tx.incidents.complaints(iid)
            checks = await tx.incidents.checks(iid, round_)
            text = self.text(after, complaints, checks, done=True, error=report is None)
            await self.edit(tx, after, text, buttons=True, priority=URGENT)
            if self.notices:
                await self.notices.tell(tx, after, checks)
