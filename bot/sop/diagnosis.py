"""SOP steps 2-6 for each complaint: run the checks in the background, show them live.

One run per complaint at a time. Each result is committed as it arrives and
the ADB's diagnosis message is edited to show it; when the run ends the
``CHECKS_DONE`` transition puts the Ya/Tidak buttons under it. A run cut
short by a restart is run again (``resume``): its state is in SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from bot.agents import AgentLookup
from bot.delivery.queue import MessageQueue
from bot.render.views import Markup, Views
from bot.sop.model import Action, State
from bot.sop.transition import Transitions
from bot.storage import Complaint, Database, Event, Tx
from checks.models import CheckResult, Report

log = logging.getLogger(__name__)

class Diagnoses:
    """The running diagnoses, and the diagnosis message each one keeps up to date."""

    def __init__(self, db: Database, queue: MessageQueue, transitions: Transitions,
                 agent_for: AgentLookup) -> None:
        self.db = db
        self.queue = queue
        self.views: Views = queue.views
        self.transitions = transitions
        self._agent_for = agent_for
        self._tasks: dict[int, asyncio.Task[None]] = {}

    # --- the diagnosis message --------------------------------------------------------------

    def text(self, c: Complaint, checks: list[Event], *, done: bool,
             decision: dict[str, Any] | None = None, error: bool = False) -> str:
        return self.views.html(
            "diagnosis", c=self.views.complaint(c), steps=self.views.steps(checks),
            done=done, decision=decision, error=error,
        )

    async def announce(self, tx: Tx, c: Complaint) -> None:
        """Send the (still empty) diagnosis of this round to every ADB chat."""
        text = self.text(c, [], done=False)
        for chat in self.queue.adb_chats:
            await self.queue.send(tx, chat, text, complaint_id=c.id,
                                  purpose=f"diagnosis:{c.round}")

    async def edit(self, tx: Tx, c: Complaint, text: str, markup: Markup | None = None) -> None:
        """Edit this round's diagnosis message in every ADB chat."""
        for row in await tx.outbox.sent_for(c.id, f"diagnosis:{c.round}"):
            await self.queue.edit(tx, row, text, markup)

    async def show_decision(self, tx: Tx, c: Complaint, decision: dict[str, Any]) -> None:
        """The decision replaces the buttons (so nobody presses twice)."""
        checks = await tx.complaints.checks(c.id, c.round)
        await self.edit(tx, c, self.text(c, checks, done=True, decision=decision))

    # --- running ----------------------------------------------------------------------------

    def start(self, cid: int, round_: int) -> None:
        """Run steps 2-6 in the background (one run per complaint at a time)."""
        old = self._tasks.pop(cid, None)
        if old is not None:
            old.cancel()
        task = asyncio.create_task(self._run(cid, round_), name=f"diagnose-K{cid}")
        self._tasks[cid] = task
        task.add_done_callback(lambda t: self._tasks.pop(cid, None) if
                               self._tasks.get(cid) is t else None)

    async def resume(self) -> int:
        """After a restart: run again every diagnosis that was cut short."""
        pending = await self.db.reads.complaints.in_states((State.DIAGNOSING,))
        for c in pending:
            log.info("resuming the diagnosis of #K%d (round %d)", c.id, c.round)
            self.start(c.id, c.round)
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

    async def _run(self, cid: int, round_: int) -> None:
        c = await self.db.reads.complaints.get(cid)
        if c is None:
            return
        report: Report | None = None
        try:
            agent = self._agent_for(c.site)
            report = await agent.diagnose(
                on_result=lambda r: self._on_result(cid, round_, r)
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("diagnosis of #K%d failed", cid)
        await self._finish(cid, round_, report)

    async def _on_result(self, cid: int, round_: int, result: CheckResult) -> None:
        async with self.db.write() as tx:
            c = await tx.complaints.get(cid)
            if c is None or c.round != round_ or c.state is not State.DIAGNOSING:
                return
            start = result.started_at
            end = start + timedelta(seconds=result.duration_s)
            rows = tx.complaints
            await rows.event(cid, "step_start", step=result.step, round=round_, at=start)
            await rows.event(cid, "step_end", step=result.step, round=round_, at=end)
            await rows.event(cid, "check", step=result.step, round=round_,
                             status=str(result.status), result=result.model_dump(mode="json"))
            await self.edit(tx, c, self.text(c, await rows.checks(cid, round_), done=False))
        self.queue.wake()

    async def _finish(self, cid: int, round_: int, report: Report | None) -> None:
        async with self.db.write() as tx:
            c = await tx.complaints.get(cid)
            if c is None or c.round != round_:
                return
            if report is None:
                done = await self.transitions.apply(tx, c, Action.CHECKS_DONE, by=None,
                                                    event="error", round=round_,
                                                    what="diagnosis")
            else:
                done = await self.transitions.apply(
                    tx, c, Action.CHECKS_DONE, by=None, event="diagnosis", round=round_,
                    verdict=str(report.verdict), host=report.host, seconds=report.duration_s)
            if done is None:
                return
            checks = await tx.complaints.checks(cid, round_)
            text = self.text(c, checks, done=True, error=report is None)
            await self.edit(tx, c, text, self.views.decision_keyboard(cid))
        self.queue.wake()
