"""SOP step 10: /lacak <no>, /agenda, and a #K<no> tag sent to the bot.

A reporter sees their own complaints; the ADB, JF ADB and Kabid see all.
Someone else asking about a number is told it was not found, so numbers
leak nothing.
"""

from __future__ import annotations

import re

from telegram import Update

from bot.store import Complaint
from handlers.auth import is_staff
from handlers.base import Ctx, audit, roles, service

NUMBER = re.compile(r"#?K?(\d{1,12})", re.IGNORECASE)
HASHTAG = re.compile(r"^\s*#K(\d{1,12})\s*$")


def _may_see(update: Update, context: Ctx, c: Complaint) -> tuple[bool, bool]:
    """(may see it, sees the full history)."""
    staff = is_staff(roles(update, context))
    user = update.effective_user
    own = user is not None and c.reporter_id == user.id
    return staff or own, staff


async def _show(update: Update, context: Ctx, number: int) -> None:
    svc, msg = service(context), update.effective_message
    if msg is None:
        return
    c = await svc.store.complaint(number)
    visible, full = _may_see(update, context, c) if c else (False, False)
    if c is None or not visible:
        await audit(update, context, "not_found", complaint_id=number)
        await svc.reply(msg.chat.id, "not_found", number=number)
        return
    text = await svc.history_text(c, full=full)
    async with svc.store.write() as tx:
        await svc.send(tx, msg.chat.id, text, complaint_id=c.id, purpose="history")
    svc.wake()


async def lacak_cmd(update: Update, context: Ctx) -> None:
    """/lacak <no>: a complaint's status and history; /lacak alone lists your own."""
    svc, msg, user = service(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    parts = (msg.text or "").split()
    m = NUMBER.fullmatch(parts[1]) if len(parts) > 1 else None
    if m is not None:
        await _show(update, context, int(m.group(1)))
        return
    mine = [svc.views.complaint(c, 80) for c in await svc.store.complaints_of(user.id)]
    await svc.reply(msg.chat.id, "mine", items=mine)


async def hashtag_msg(update: Update, context: Ctx) -> None:
    """A message that is just "#K42": the complaint's history."""
    msg = update.effective_message
    m = HASHTAG.match(msg.text or "") if msg else None
    if m is not None:
        await _show(update, context, int(m.group(1)))


async def agenda_cmd(update: Update, context: Ctx) -> None:
    """/agenda: open complaints and today's, for the ADB, JF ADB and Kabid."""
    svc, msg = service(context), update.effective_message
    if msg is None:
        return
    if not is_staff(roles(update, context)):
        await audit(update, context, "refused")
        await svc.reply(msg.chat.id, "not_allowed")
        return
    text = await svc.agenda_text(svc.clock())
    async with svc.store.write() as tx:
        await svc.send(tx, msg.chat.id, text, purpose="agenda")
    svc.wake()
