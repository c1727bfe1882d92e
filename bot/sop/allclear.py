"""The all-clear from monitoring: the ADB chats (under the prompt) and the reporters of an
outage's open complaints hear once that what was down answers again.

Said when a site monitoring reported comes back, and when a broken shared part comes back
for the sites behind it (``bot.sop.shared``). For a part's incident both may happen, from
several sites: it is said once per diagnosis round, recorded in ``notices`` in the same
transaction, so a restart between them repeats nothing and loses nothing.
"""

from __future__ import annotations

from datetime import datetime

from bot.delivery.queue import MessageQueue
from bot.domain.events import EventKind
from bot.domain.model import MERGED, State
from bot.domain.purposes import Purpose
from bot.storage import Incident, Tx

PART_UP = "part_up"  # the notice kind: a part's incident heard its all-clear


async def live(tx: Tx, inc: Incident | None) -> Incident | None:
    """The incident ``inc``'s complaints are in now (it may have been merged, twice)."""
    while inc is not None and inc.state == MERGED and inc.merged_into is not None:
        inc = await tx.incidents.get(inc.merged_into)
    return inc


async def all_clear(
    tx: Tx, queue: MessageQueue, inc: Incident | None, down_since: datetime | None
) -> bool:
    """Say it, unless the ADB already declared the outage over or it was said before for a
    part's incident; True when it was said."""
    inc = await live(tx, inc)
    if inc is None or inc.state == State.CLOSED:
        return False  # the ADB already declared it over: nothing to add
    if inc.part is not None and not await tx.incidents.notice(inc.id, PART_UP, inc.round):
        return False
    complaints = await tx.incidents.complaints(inc.id)
    v = queue.views
    what = {"inc": v.incident(inc), "down_since": down_since, "at": tx.now, "part": inc.part}
    text = v.html("monitor", key="recovered_adb", group=v.group(complaints, details=0), **what)
    await queue.to_adbs_under_prompt(tx, inc.id, inc.round, text, Purpose.MONITOR_UP)
    for c in complaints:
        await tx.complaints.event(c.id, EventKind.MONITOR_UP, incident=inc.id)
        if c.reporter_chat_id is not None and c.state != State.CLOSED:
            await queue.send(
                tx,
                c.reporter_chat_id,
                v.html("monitor", key="recovered_reporter", c=v.complaint(c), group=None, **what),
                complaint_id=c.id,
                purpose=Purpose.MONITOR_UP,
            )
    return True
