"""Small records handlers keep: the /lapor dialog, refusals, a chat that writes again.

Each is one short transaction; none changes a complaint's state.
"""

from __future__ import annotations

from bot.delivery.queue import MessageQueue
from bot.domain.model import Actor
from bot.render.views import Markup
from bot.storage import Database

# An edit of the message a button was pressed on: (chat id, message id, text, buttons).
Edit = tuple[int, int, str, Markup | None]


class Records:
    """Writes that are not SOP transitions."""

    def __init__(self, db: Database, queue: MessageQueue) -> None:
        self.db = db
        self.queue = queue

    async def set_dialog(
        self,
        user_id: int,
        chat_id: int,
        stage: str,
        site: str | None,
        *,
        text: str | None = None,
        reporter: str | None = None,
        edit: Edit | None = None,
    ) -> None:
        """Where the user is in the /lapor dialog (``text``: the complaint awaiting its
        site; ``reporter``: whom a /catat logs it for); ``edit`` shows the next question."""
        async with self.db.write() as tx:
            await tx.complaints.set_dialog(user_id, chat_id, stage, site, text, reporter)
            if edit is not None:
                await self.queue.edit_direct(tx, *edit)
        if edit is not None:
            self.queue.wake()

    async def clear_dialog(self, user_id: int, *, edit: Edit | None = None) -> None:
        """The dialog is over (filed or cancelled); ``edit`` says so on the pressed message."""
        async with self.db.write() as tx:
            await tx.complaints.clear_dialog(user_id)
            if edit is not None:
                await self.queue.edit_direct(tx, *edit)
        if edit is not None:
            self.queue.wake()

    async def refusal(
        self,
        *,
        update_id: int | None,
        user: Actor,
        chat_id: int | None,
        kind: str,
        what: str | None,
        outcome: str,
        complaint_id: int | None = None,
    ) -> None:
        """A refused press or command (who, where, what, why) for the office to review."""
        async with self.db.write() as tx:
            await tx.audit.add(
                update_id=update_id,
                user=user,
                chat_id=chat_id,
                kind=kind,
                what=what,
                outcome=outcome,
                complaint_id=complaint_id,
            )

    async def flood(
        self,
        *,
        began: int,
        ignored: int,
        user: Actor,
        chat_id: int | None,
        kind: str,
        what: str | None,
        notice: str | None,
        outcome: str = "flood",
    ) -> None:
        """A flood is one audit row: the update that ``began`` it records it and queues the
        one ``notice`` (None: none), in one transaction; each update ignored after that
        counts in it. ``outcome`` "repeat": a group's collapsed help requests."""
        async with self.db.write() as tx:
            if ignored > 1:
                await tx.audit.flood_seen(began, ignored, outcome)
                return
            await tx.audit.add(
                update_id=began,
                user=user,
                chat_id=chat_id,
                kind=kind,
                what=what,
                outcome=outcome,
            )
            if chat_id is not None and notice is not None:
                await self.queue.send(tx, chat_id, notice)
        self.queue.wake()

    async def notice_once(self, chat_id: int, text: str, purpose: str) -> bool:
        """Queue ``text`` for ``chat_id`` unless a notice of ``purpose`` was queued there
        before (checked and queued in one transaction); True if it was queued now."""
        async with self.db.write() as tx:
            if await tx.notices.queued_before(chat_id, purpose):
                return False
            await self.queue.send(tx, chat_id, text, purpose=purpose)
        self.queue.wake()
        return True

    async def chat_wrote(self, chat_id: int) -> None:
        """A chat that writes to us again is reachable again (it unblocked the bot)."""
        if await self.db.reads.outbox.is_unreachable(chat_id):
            async with self.db.write() as tx:
                await tx.outbox.clear_unreachable(chat_id)
