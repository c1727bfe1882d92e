"""What every part of the workflow shares: the database, the queue, the table, the office.

The workflow is split by the SOP's parts (``filing``, ``decision``,
``third_party``, ``hands``); ``bot.sop.workflow.Workflow`` puts them together
as the one service handlers call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from bot.delivery.queue import MessageQueue
from bot.domain.events import EventKind
from bot.domain.model import Actor, State
from bot.render.views import Views
from bot.settings.office import Grouping, Limits, Vendor
from bot.sop.diagnosis import Diagnoses
from bot.sop.transition import Press, Transitions, writing
from bot.storage import Database, Incident, Tx
from bot.storage.complaints import ComplaintReads


class Part:
    """Bound to one database, message queue and office config."""

    def __init__(
        self,
        db: Database,
        queue: MessageQueue,
        transitions: Transitions,
        diagnoses: Diagnoses,
        *,
        limits: Limits,
        vendors: tuple[Vendor, ...],
        grouping: Grouping,
    ) -> None:
        self.db = db
        self.queue = queue
        self.views: Views = queue.views
        self.transitions = transitions
        self.diagnoses = diagnoses
        self.limits = limits
        self.vendors = vendors
        self.grouping = grouping

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Tx]:
        """One operation's transaction (a refusal's records committed too); after a change
        the sender is woken, so what it queued goes out now, not at its next poll. A
        refusal queues nothing and wakes nobody: a flood of forged presses costs the
        sender nothing."""
        async with writing(self.db) as tx:
            yield tx
        self.queue.wake()

    async def over_limit(self, reporter_id: int) -> bool:
        """Whether ``reporter_id`` has filed ``[limits]`` complaints within the window: the
        one limit, asked before the /lapor dialog's first question and again in the
        filing transaction (``file(limited=True)``), where two updates cannot both slip
        under it."""
        return not await self._may_file(self.db.reads.complaints, self.db.clock(), reporter_id)

    async def _may_file(
        self,
        complaints: ComplaintReads,
        now: datetime,
        reporter_id: int,
        update_id: int | None = None,
    ) -> bool:
        lim = self.limits
        if not lim.complaints_per_user:
            return True
        since = now - timedelta(minutes=lim.window_minutes)
        return await complaints.may_file(reporter_id, update_id, since, lim.complaints_per_user)

    def _who(self, press: Press) -> str:
        """The person who pressed, as the office names them ([[staff]], else Telegram)."""
        return self.views.person(press.actor.id, press.actor.name)

    @staticmethod
    async def _open(tx: Tx, site: str | None) -> Incident:
        """A new incident for ``site``, diagnosing."""
        inc = await tx.incidents.get(await tx.incidents.add(site, State.DIAGNOSING))
        assert inc is not None
        return inc

    async def _new_round(self, tx: Tx, iid: int, by: Actor) -> int:
        """Steps 2-6 again (Cek ulang, or the third party's repair): a new round."""
        round_ = await tx.incidents.next_round(iid)
        for c in await tx.incidents.complaints(iid):
            await tx.complaints.event(c.id, EventKind.RECHECK, actor=by, round=round_)
        fresh = await tx.incidents.get(iid)
        assert fresh is not None
        await self.diagnoses.announce(tx, fresh)
        return round_

    @staticmethod
    async def _audit(tx: Tx, press: Press, outcome: str, what: str, cid: int | None) -> None:
        """An ADB's command on incidents, for the office to review."""
        await tx.audit.add(
            update_id=press.update_id,
            user=press.actor,
            chat_id=press.chat_id,
            kind="command",
            what=what,
            outcome=outcome,
            complaint_id=cid,
        )
