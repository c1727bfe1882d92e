"""Incidents by hand: /pisah (split a complaint out), /gabung (merge two incidents),
/catatan (the ADB's note after the decision, or a reply to the bot's request for it),
/tutup (close a complaint that is not a network fault), and a reporter's "my network is
still down" button after the outage was declared over.

Only ADBs do these; the workflow checks the role and the states again.
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.constants import ChatType

from bot.sop.transition import NOT_FOUND, OK, REFUSED, STALE
from bot.telegram import callbacks
from bot.telegram.context import Ctx, services_of
from handlers import complaint
from handlers.base import audit, press_of

_NUMBER = r"#?[KkIi]?(\d{1,12})"
_SPLIT = re.compile(rf"^{_NUMBER}$")
_MERGE = re.compile(rf"^{_NUMBER}\s+{_NUMBER}$")
_WITH_TEXT = re.compile(rf"^{_NUMBER}\s+(\S.*)$", re.DOTALL)
NOTE_LIMIT = 1000  # characters of an ADB's note kept


def _args(update: Update) -> str:
    msg = update.effective_message
    parts = (msg.text or "").split(maxsplit=1) if msg else []
    return parts[1].strip() if len(parts) > 1 else ""


async def split_cmd(update: Update, context: Ctx) -> None:
    """/pisah <complaint>: the complaint is a different problem; it gets its own incident."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    m = _SPLIT.match(_args(update))
    if m is None:
        await svc.queue.reply(msg.chat.id, "incident_cmd", key="split_usage", number=0, other=0)
        return
    cid = int(m.group(1))
    result = await svc.workflow.split(cid, press_of(update, context))
    await _reply(update, context, msg.chat.id, result, "split", cid)


async def merge_cmd(update: Update, context: Ctx) -> None:
    """/gabung <target> <other>: the same outage; the other's complaints move to the target."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    m = _MERGE.match(_args(update))
    if m is None:
        await svc.queue.reply(msg.chat.id, "incident_cmd", key="merge_usage", number=0, other=0)
        return
    target, source = int(m.group(1)), int(m.group(2))
    result = await svc.workflow.merge(target, source, press_of(update, context))
    await _reply(update, context, msg.chat.id, result, "merge", target, source)


async def note_cmd(update: Update, context: Ctx) -> None:
    """/catatan <incident> <text>: the cause and the action taken."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    m = _WITH_TEXT.match(_args(update))
    if m is None:
        await svc.queue.reply(msg.chat.id, "incident_cmd", key="note_usage", number=0, other=0)
        return
    iid, note = int(m.group(1)), m.group(2).strip()[:NOTE_LIMIT]
    result = await svc.workflow.add_note(iid, note, press_of(update, context))
    await _reply(update, context, msg.chat.id, result, "note", iid)


async def note_reply(update: Update, context: Ctx) -> None:
    """A reply to the bot's request for the ADB's note is that note; any other reply in a
    private chat is ordinary text (the /lapor dialog's answer)."""
    svc, msg = services_of(context), update.effective_message
    asked = msg.reply_to_message if msg else None
    if msg is None or asked is None or not msg.text:
        return
    row = await svc.queries.sent_message(msg.chat.id, asked.message_id)
    if row is None or row.purpose != "note_ask" or row.incident_id is None:
        if msg.chat.type == ChatType.PRIVATE:
            await complaint.text_msg(update, context)
        return
    result = await svc.workflow.add_note(row.incident_id, msg.text.strip()[:NOTE_LIMIT],
                                         press_of(update, context))
    await _reply(update, context, msg.chat.id, result, "note", row.incident_id)


async def dismiss_cmd(update: Update, context: Ctx) -> None:
    """/tutup <complaint> <reason>: not a network fault (a duplicate, a mistake, ...)."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    m = _WITH_TEXT.match(_args(update))
    if m is None:
        await svc.queue.reply(msg.chat.id, "incident_cmd", key="dismiss_usage", number=0,
                              other=0)
        return
    cid, reason = int(m.group(1)), m.group(2).strip()[:200]
    result = await svc.workflow.dismiss(cid, reason, press_of(update, context))
    await _reply(update, context, msg.chat.id, result, "dismiss", cid)


async def _reply(update: Update, context: Ctx, chat_id: int, result: str, what: str,
                 number: int, other: int = 0) -> None:
    """Tell the ADB what happened; refusals and unknown numbers are audited."""
    queue = services_of(context).queue
    if result == REFUSED:
        await audit(update, context, REFUSED)
        await queue.reply(chat_id, "not_allowed")
        return
    if result == NOT_FOUND:
        await audit(update, context, NOT_FOUND, complaint_id=number)
    key = {OK: f"{what}_ok", STALE: f"{what}_stale"}.get(result, "not_found")
    await queue.reply(chat_id, "incident_cmd", key=key, number=number, other=other)


async def press_still_down(update: Update, context: Ctx, cb: callbacks.Callback) -> str:
    """The reporter's "my network is still down" under the acknowledgement."""
    return await services_of(context).workflow.still_down(cb.id, press_of(update, context))
