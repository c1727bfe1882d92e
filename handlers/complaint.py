"""SOP step 1: /lapor (guided or one message), /catat for ADBs, the site buttons.

The dialog's state lives in SQLite (``dialogs``), not in memory, so a restart
between "which site?" and "what is wrong?" loses nothing. A user who files more
than ``[limits]`` allows is told politely when they may file again (at most once
a minute, so a flood gets no flood back); ADBs and /catat are not limited.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.constants import ChatType

from bot import callbacks
from bot.flow import OK, REFUSED, STALE, RateLimited
from bot.sop import Role
from bot.store import Actor
from handlers.base import Ctx, actor_of, audit, roles, service

# Dialog stages.
ASK_SITE = "site"
ASK_TEXT = "text"

RATE_LIMITED = "rate_limited"  # audit outcome
QUIET = timedelta(minutes=1)  # one flood refusal per user per minute; the rest only audited


def _rest(text: str | None) -> str:
    """What follows the command word, newlines kept."""
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _limited(update: Update, context: Ctx) -> bool:
    """Whether the flood guard applies: everyone but the ADBs, who file for others."""
    return Role.ADB not in roles(update, context)


async def _over_limit(update: Update, context: Ctx) -> bool:
    """Before asking any question: has this user filed too many complaints lately?"""
    svc, user = service(context), update.effective_user
    lim = svc.config.limits
    if user is None or not lim.complaints_per_user or not _limited(update, context):
        return False
    since = svc.clock() - timedelta(minutes=lim.window_minutes)
    return len(await svc.store.complaint_times(user.id, since)) >= lim.complaints_per_user


async def _refuse_flood(update: Update, context: Ctx) -> None:
    """Audit the refusal; tell the user when they may file again, once a minute at most."""
    svc, msg, user = service(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    lim, now = svc.config.limits, svc.clock()
    window = timedelta(minutes=lim.window_minutes)
    times = await svc.store.complaint_times(user.id, now - window)
    told = await svc.store.audit_count(user.id, RATE_LIMITED, now - QUIET)
    await audit(update, context, RATE_LIMITED, what="/lapor")
    if not told:
        await svc.reply(msg.chat.id, "rate_limited", count=len(times),
                        minutes=lim.window_minutes,
                        next_at=(times[0] + window) if times else now + window)


async def _file(update: Update, context: Ctx, site: str | None, text: str) -> None:
    msg, user = update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    try:
        await service(context).file(
            reporter=actor_of(user), reporter_chat_id=msg.chat.id, channel="chat", site=site,
            text=text, update_id=update.update_id, limited=_limited(update, context),
        )
    except RateLimited:
        await _refuse_flood(update, context)


async def lapor_cmd(update: Update, context: Ctx) -> None:
    """/lapor <text> files at once; /lapor alone asks for the site, then the text."""
    svc, msg, user = service(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    if msg.chat.type != ChatType.PRIVATE:
        await svc.reply(msg.chat.id, "private_only")
        return
    text = _rest(msg.text)
    if await _over_limit(update, context):
        async with svc.store.write() as tx:
            await tx.clear_dialog(user.id)
        await _refuse_flood(update, context)
        return
    if text:
        async with svc.store.write() as tx:
            await tx.clear_dialog(user.id)
        await _file(update, context, None, text)
        return
    sites = [s.name for s in svc.config.sites]
    async with svc.store.write() as tx:
        await tx.set_dialog(user.id, msg.chat.id, ASK_SITE if sites else ASK_TEXT, None)
    if sites:
        await svc.reply(msg.chat.id, "ask_site", markup=svc.views.site_keyboard(sites))
    else:
        await svc.reply(msg.chat.id, "ask_text", site=None)


async def press_site(update: Update, context: Ctx, cb: callbacks.Callback) -> str:
    """A site button of the /lapor dialog."""
    svc, user, q = service(context), update.effective_user, update.callback_query
    if user is None or q is None or q.message is None:
        return STALE
    if q.message.chat.id != user.id:  # the dialog runs in the user's private chat only
        return REFUSED
    dialog = await svc.store.dialog(user.id)
    if dialog is None or dialog[0] != ASK_SITE:
        return STALE
    chat_id, message_id = q.message.chat.id, q.message.message_id
    if cb.action == "cancel":
        async with svc.store.write() as tx:
            await tx.clear_dialog(user.id)
            await svc.edit_direct(tx, chat_id, message_id, svc.views.html("cancelled"))
        svc.wake()
        return OK
    sites = svc.config.sites
    site: str | None = None
    if cb.action == "pick":
        if cb.id >= len(sites):
            return STALE
        site = sites[cb.id].name
    elif cb.action != "other":
        return STALE
    async with svc.store.write() as tx:
        await tx.set_dialog(user.id, chat_id, ASK_TEXT, site)
        await svc.edit_direct(tx, chat_id, message_id, svc.views.html("ask_text", site=site))
    svc.wake()
    return OK


async def cancel_cmd(update: Update, context: Ctx) -> None:
    """/batal: drop a half-filed complaint."""
    svc, msg, user = service(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    async with svc.store.write() as tx:
        await tx.clear_dialog(user.id)
    await svc.reply(msg.chat.id, "cancelled")


async def text_msg(update: Update, context: Ctx) -> None:
    """Plain text in a private chat: the complaint text of the dialog, or a hint."""
    svc, msg, user = service(context), update.effective_message, update.effective_user
    if msg is None or user is None or not msg.text:
        return
    dialog = await svc.store.dialog(user.id)
    if dialog is None or dialog[0] != ASK_TEXT:
        await svc.reply(msg.chat.id, "hint")
        return
    # File first, then close the dialog: after a crash in between, the update is handled
    # again, finds the dialog open, and filing it again is a no-op (source_update_id).
    await _file(update, context, dialog[1], msg.text)
    async with svc.store.write() as tx:
        await tx.clear_dialog(user.id)


async def catat_cmd(update: Update, context: Ctx) -> None:
    """/catat <reporter>: <text> — an ADB logs a complaint received by phone or in person."""
    svc, msg, user = service(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    if Role.ADB not in roles(update, context):
        await audit(update, context, REFUSED)
        await svc.reply(msg.chat.id, "not_allowed")
        return
    name, sep, text = _rest(msg.text).partition(":")
    if not (sep and name.strip() and text.strip()):
        await svc.reply(msg.chat.id, "catat_usage")
        return
    reporter_name = name.strip()[:100]
    await svc.file(
        reporter=Actor(None, reporter_name), reporter_chat_id=msg.chat.id,
        channel="catat", site=None, text=text.strip(), filed_by=actor_of(user),
        update_id=update.update_id,
    )
