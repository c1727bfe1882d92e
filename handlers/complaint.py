"""SOP step 1: /lapor (guided or one message), /catat for ADBs, the site buttons.

The dialog's state lives in SQLite (``dialogs``), not in memory, so a restart
between "which site?" and "what is wrong?" loses nothing.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot import callbacks
from bot.flow import OK, STALE
from bot.sop import Role
from bot.store import Actor
from handlers.base import Ctx, actor_of, roles, service

# Dialog stages.
ASK_SITE = "site"
ASK_TEXT = "text"


def _rest(text: str | None) -> str:
    """What follows the command word, newlines kept."""
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def _file(update: Update, context: Ctx, site: str | None, text: str) -> None:
    msg, user = update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    await service(context).file(
        reporter=actor_of(user), reporter_chat_id=msg.chat.id, channel="chat", site=site,
        text=text, update_id=update.update_id,
    )


async def lapor_cmd(update: Update, context: Ctx) -> None:
    """/lapor <text> files at once; /lapor alone asks for the site, then the text."""
    svc, msg, user = service(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    if msg.chat.type != ChatType.PRIVATE:
        await svc.reply(msg.chat.id, "private_only")
        return
    text = _rest(msg.text)
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
    async with svc.store.write() as tx:
        await tx.clear_dialog(user.id)
    await _file(update, context, dialog[1], msg.text)


async def catat_cmd(update: Update, context: Ctx) -> None:
    """/catat <reporter>: <text> — an ADB logs a complaint received by phone or in person."""
    svc, msg, user = service(context), update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    if Role.ADB not in roles(update, context):
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
