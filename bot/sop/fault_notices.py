"""Who is told where the fault is (issue 21): every reporter, and the public counters.

Once the diagnosis locates the break, each reporter of the incident (whatever their
site) hears where the fault is and who is handling it, and the ADB gets a ready text
for the public counters (pengumuman layanan) without internal details. Each is sent
once per chat, incident and part, remembered in the outbox (``tx.notices``): a
re-check that finds the same part says nothing again; a break found at another part
is news and is told.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.delivery.queue import MessageQueue
from bot.domain import purposes
from bot.render.views import Views
from bot.sop.fault import Paths, fault_view
from bot.storage import Incident, Tx
from checks.models import CheckResult


class FaultNotices:
    """Tells reporters and the ADB's chats about a located break, once each."""

    def __init__(self, queue: MessageQueue, paths: Paths) -> None:
        self.queue = queue
        self.views: Views = queue.views
        self.paths = paths

    async def tell(self, tx: Tx, inc: Incident, checks: Sequence[CheckResult]) -> None:
        """After a finished round: name the broken part to whoever was not told yet.
        Nothing when the round located no part (no path, all answered, or unknown)."""
        located = self.paths.locate(inc.site, checks)
        if located is None or located.part is None:
            return
        part = located.part.name
        fault = fault_view(located, self.paths.vendor(located))
        complaints = await tx.incidents.complaints(inc.id)
        if not complaints:
            return
        v = self.views
        told = purposes.fault(inc.id, part)
        for c in complaints:
            chat = c.reporter_chat_id
            if chat is None or await tx.notices.queued_before(chat, told):
                continue
            text = v.html("fault_notice", c=v.complaint(c), fault=fault)
            await self.queue.send(tx, chat, text, complaint_id=c.id, purpose=told)
        sites = sorted({s for s in [inc.site, *(c.site for c in complaints)] if s})
        public = v.html(
            "announcement",
            inc=v.incident(inc),
            fault=fault,
            sites=sites,
            since=min(c.created_at for c in complaints),
        )
        announced = purposes.announcement(inc.id, part)
        prompts = {  # sent as a reply to the prompt, so it reads with the incident
            r.chat_id: r.message_id
            for r in await tx.outbox.sent_for_incident(inc.id, purposes.diagnosis(inc.round))
        }
        for chat in self.queue.adb_chats:
            if await tx.notices.queued_before(chat, announced):
                continue
            await self.queue.send(
                tx,
                chat,
                public,
                complaint_id=complaints[0].id,
                purpose=announced,
                reply_to=prompts.get(chat),
            )
