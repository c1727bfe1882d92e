"""What a delivered (or undeliverable) message means for the SOP: the delivery layer's
hooks (``bot.delivery.queue.DeliveryHooks``), registered where the queue is built.

A delivered message is in its complaint's record; a report (a row with a step, SOP
steps 1, 8 and 9) serves every complaint of its incident, and delivering it ends that
step in each one's record. A chat that blocked the bot is in the record too.
"""

from __future__ import annotations

from bot.domain.events import EventKind
from bot.storage import OutboxRow, Tx


class Receipts:
    """The SOP's side of delivery; called by the sender inside its transaction."""

    async def delivered(self, tx: Tx, row: OutboxRow) -> None:
        if row.step is not None and row.incident_id is not None:
            targets = [c.id for c in await tx.incidents.complaints(row.incident_id)]
        else:
            targets = [row.complaint_id] if row.complaint_id is not None else []
        for cid in targets:
            await tx.complaints.event(
                cid, EventKind.MESSAGE, chat_id=row.chat_id, purpose=row.purpose, outbox_id=row.id
            )
            if row.step is not None:
                await tx.complaints.event(cid, EventKind.STEP_END, step=row.step)

    async def unreachable(self, tx: Tx, row: OutboxRow) -> None:
        if row.complaint_id is not None:
            await tx.complaints.event(
                row.complaint_id, EventKind.UNREACHABLE, chat_id=row.chat_id, purpose=row.purpose
            )
