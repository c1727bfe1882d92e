"""SOP step 10: /lacak <no>, /agenda, and a #K<no> tag sent to the bot.

A reporter sees their own complaints; the ADB, JF ADB and Kabid see all.
Someone else asking about a number is told it was not found, so numbers
leak nothing.
"""

from __future__ import annotations

import re

from telegram import Update

from bot.domain.model import Command, may
from handlers import documents
from handlers.base import audit, roles
from handlers.context import Ctx, services_of

NUMBER = re.compile(r"#?K?(\d{1,12})", re.IGNORECASE)
HASHTAG = re.compile(r"^\s*#K(\d{1,12})\s*$")


def _may_see(update: Update, context: Ctx, reporter_id: int | None) -> tuple[bool, bool]:
    """(may see a complaint of ``reporter_id``, sees its full history)."""
    staff = may(roles(update, context), Command.READ_ALL)
    user = update.effective_user
    own = user is not None and reporter_id == user.id
    return staff or own, staff


async def _show(update: Update, context: Ctx, number: int) -> None:
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    c = await svc.queries.complaint(number)
    visible, full = _may_see(update, context, c.reporter_id) if c else (False, False)
    if c is None or not visible:
        await audit(update, context, "not_found", complaint_id=number)
        await svc.queue.reply(msg.chat.id, "not_found", number=number)
        return
    text = await svc.queries.history_text(c, full=full)
    await svc.queue.reply_text(msg.chat.id, text, complaint_id=c.id, purpose="history")


async def lacak_cmd(update: Update, context: Ctx) -> None:
    """/lacak <no>: a complaint's status and history; /lacak alone lists your own."""
    svc, msg, user = services_of(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    parts = (msg.text or "").split()
    m = NUMBER.fullmatch(parts[1]) if len(parts) > 1 else None
    if m is not None:
        await _show(update, context, int(m.group(1)))
        return
    await svc.queue.reply(msg.chat.id, "mine", items=await svc.queries.mine(user.id))


async def hashtag_msg(update: Update, context: Ctx) -> None:
    """A message that is just "#K42": the complaint's history."""
    msg = update.effective_message
    m = HASHTAG.match(msg.text or "") if msg else None
    if m is not None:
        await _show(update, context, int(m.group(1)))


async def agenda_cmd(update: Update, context: Ctx) -> None:
    """/agenda: open complaints and today's, for the ADB, JF ADB and Kabid; with a month
    (and a site), that month's Buku Agenda as a document."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    if not may(roles(update, context), Command.READ_ALL):
        await audit(update, context, "refused")
        await svc.queue.reply(msg.chat.id, "not_allowed")
        return
    args = (msg.text or "").partition(" ")[2].strip()
    if args:
        await documents.agenda_document_cmd(update, context, args)
        return
    text = await svc.queries.agenda_text(svc.clock())
    await svc.queue.reply_text(msg.chat.id, text, purpose="agenda")
