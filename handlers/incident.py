"""Incidents by hand: /pisah (split a complaint out), /gabung (merge two incidents),
/catatan (the ADB's note after the decision, or a reply to the bot's request for it),
/tutup (close a complaint that is not a network fault), and a reporter's "my network is
still down" button after the outage was declared over.

Only ADBs do these; the workflow checks the role and the states again.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.constants import ChatType

from bot.domain.outcomes import Outcome
from bot.domain.purposes import Purpose
from bot.render import buttons
from bot.sop.workflow import Press
from handlers import complaint
from handlers.base import answer_first, audit, outcome_of, press_of
from handlers.context import Ctx, services_of

_NUMBER = r"#?[KkIi]?(\d{1,12})"
_SPLIT = re.compile(rf"^{_NUMBER}$")
_MERGE = re.compile(rf"^{_NUMBER}\s+{_NUMBER}$")
_WITH_TEXT = re.compile(rf"^{_NUMBER}\s+(\S.*)$", re.DOTALL)
NOTE_LIMIT = 1000  # characters of an ADB's note kept


def _args(update: Update) -> str:
    msg = update.effective_message
    parts = (msg.text or "").split(maxsplit=1) if msg else []
    return parts[1].strip() if len(parts) > 1 else ""


Act = Callable[[re.Match[str], Press], tuple[Awaitable[Outcome], int, int]]


async def _command(
    update: Update, context: Ctx, pattern: re.Pattern[str], what: str, act: Act
) -> None:
    """Parse the command's arguments, act, and tell the ADB how it went (or the usage)."""
    svc, msg = services_of(context), update.effective_message
    if msg is None:
        return
    m = pattern.match(_args(update))
    if m is None:
        await svc.queue.reply(msg.chat.id, "incident_cmd", key=f"{what}_usage", number=0, other=0)
        return
    operation, number, other = act(m, press_of(update, context))
    result = await outcome_of(operation)
    await _reply(update, context, msg.chat.id, result, what, number, other)


async def split_cmd(update: Update, context: Ctx) -> None:
    """/pisah <complaint>: the complaint is a different problem; it gets its own incident."""

    def act(m: re.Match[str], press: Press) -> tuple[Awaitable[Outcome], int, int]:
        cid = int(m.group(1))
        return services_of(context).workflow.split(cid, press), cid, 0

    await _command(update, context, _SPLIT, "split", act)


async def merge_cmd(update: Update, context: Ctx) -> None:
    """/gabung <target> <other>: the same outage; the other's complaints move to the target."""

    def act(m: re.Match[str], press: Press) -> tuple[Awaitable[Outcome], int, int]:
        target, source = int(m.group(1)), int(m.group(2))
        return services_of(context).workflow.merge(target, source, press), target, source

    await _command(update, context, _MERGE, "merge", act)


async def note_cmd(update: Update, context: Ctx) -> None:
    """/catatan <incident> <text>: the cause and the action taken."""

    def act(m: re.Match[str], press: Press) -> tuple[Awaitable[Outcome], int, int]:
        iid, note = int(m.group(1)), m.group(2).strip()[:NOTE_LIMIT]
        return services_of(context).workflow.add_note(iid, note, press), iid, 0

    await _command(update, context, _WITH_TEXT, "note", act)


async def dismiss_cmd(update: Update, context: Ctx) -> None:
    """/tutup <complaint> <reason>: not a network fault (a duplicate, a mistake, ...)."""

    def act(m: re.Match[str], press: Press) -> tuple[Awaitable[Outcome], int, int]:
        cid, reason = int(m.group(1)), m.group(2).strip()[:200]
        return services_of(context).workflow.dismiss(cid, reason, press), cid, 0

    await _command(update, context, _WITH_TEXT, "dismiss", act)


async def note_reply(update: Update, context: Ctx) -> None:
    """A reply to the bot's request for the ADB's note is that note; any other reply in a
    private chat is ordinary text (the /lapor dialog's answer)."""
    svc, msg = services_of(context), update.effective_message
    asked = msg.reply_to_message if msg else None
    if msg is None or asked is None or not msg.text:
        return
    row = await svc.queries.sent_message(msg.chat.id, asked.message_id)
    if row is None or row.purpose != Purpose.NOTE_ASK or row.incident_id is None:
        if msg.chat.type == ChatType.PRIVATE:
            await complaint.text_msg(update, context)
        return
    result = await outcome_of(
        svc.workflow.add_note(
            row.incident_id, msg.text.strip()[:NOTE_LIMIT], press_of(update, context)
        )
    )
    await _reply(update, context, msg.chat.id, result, "note", row.incident_id)


async def _reply(
    update: Update,
    context: Ctx,
    chat_id: int,
    result: Outcome,
    what: str,
    number: int,
    other: int = 0,
) -> None:
    """Tell the ADB what happened; refusals and unknown numbers are audited."""
    queue = services_of(context).queue
    if result == Outcome.REFUSED:
        await audit(update, context, Outcome.REFUSED)
        await queue.reply(chat_id, "not_allowed")
        return
    if result == Outcome.NOT_FOUND:
        await audit(update, context, Outcome.NOT_FOUND, complaint_id=number)
    key = {Outcome.OK: f"{what}_ok", Outcome.STALE: f"{what}_stale"}.get(result, "not_found")
    await queue.reply(chat_id, "incident_cmd", key=key, number=number, other=other)


async def press_still_down(update: Update, context: Ctx, cb: buttons.Callback) -> Outcome:
    """The reporter's "my network is still down" under the acknowledgement."""
    workflow, press = services_of(context).workflow, press_of(update, context)
    await answer_first(update, context, await workflow.preview_still_down(cb.id, press))
    return await workflow.still_down(cb.id, press)
